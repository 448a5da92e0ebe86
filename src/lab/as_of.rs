//! The lab as it stood at a past moment, for the choreography's step back and for time travel:
//! every aggregate folded from the events up to a position, and every view as of the checkpoint it
//! had then (read from the journal), so a view that lagged is shown lagging. Nothing is written:
//! looking back folds a prefix of the log, it never deletes an event.

use super::{journal, Entry};
use foldlab_domain::{
    as_of, CustomerViewProjection, CustomerViews, EventEnvelope, LowCreditLimitProjection,
    LowCreditLimits, NewCustomersProjection, NewCustomersWithHighValueOrders, OrderHistories,
    OrderHistoryProjection, UnreadableEvent, WriteModel,
};
use foldlab_engine::QuerySide;

/// Every projection's checkpoint at one moment, and the state it held then.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewsThen {
    /// The customer view and its checkpoint then (`None`: not recorded).
    pub customer_view: (Option<u64>, CustomerViews),
    /// The order history and its checkpoint then.
    pub order_history: (Option<u64>, OrderHistories),
    /// The low-credit-limit list and its checkpoint then.
    pub low_credit: (Option<u64>, LowCreditLimits),
    /// New customers with high value orders, and the checkpoint then.
    pub new_customers: (Option<u64>, NewCustomersWithHighValueOrders),
}

/// The aggregates folded from the events with `event_id <= position` (the log is in `event_id`
/// order, so they are a prefix of it).
pub fn model_at(events: &[EventEnvelope], position: u64) -> WriteModel {
    let mut model = WriteModel::default();
    for event in events.iter().take_while(|e| e.event_id <= position) {
        model.apply(event);
    }
    model
}

/// Each projection's checkpoint right after `entry` (or, without an entry, `fallback`: what the
/// view would hold had it applied everything up to there — said so by a `None` checkpoint).
fn checkpoint(entry: Option<&Entry>, name: &str, fallback: u64) -> (Option<u64>, u64) {
    match entry {
        Some(entry) => {
            let at = entry.position(name);
            (Some(at), at)
        }
        None if fallback == 0 => (Some(0), 0),
        None => (None, fallback),
    }
}

/// Every view as it stood right after `entry`: each projection's checkpoint is read from the
/// entry, and the view is the fold of the events up to it — what the projector's `state_as_of`
/// computes, folded here over the log the lab has already read instead of reading it again.
pub fn views_after(
    query: &QuerySide,
    events: &[EventEnvelope],
    entry: Option<&Entry>,
    fallback: u64,
) -> Result<ViewsThen, String> {
    views_by(query, events, |name| checkpoint(entry, name, fallback))
}

/// Every view folded up to the checkpoint `at` gives for its name.
fn views_by(
    query: &QuerySide,
    events: &[EventEnvelope],
    at: impl Fn(&str) -> (Option<u64>, u64),
) -> Result<ViewsThen, String> {
    let failed = |e: UnreadableEvent| format!("A view could not be folded: {e}");
    let (cv, cv_at) = at(CustomerViewProjection::NAME);
    let (oh, oh_at) = at(OrderHistoryProjection::NAME);
    let (lc, lc_at) = at(LowCreditLimitProjection::NAME);
    let (nc, nc_at) = at(NewCustomersProjection::NAME);
    Ok(ViewsThen {
        customer_view: (
            cv,
            as_of(query.customer_view.projection(), events, cv_at).map_err(failed)?,
        ),
        order_history: (
            oh,
            as_of(query.order_history.projection(), events, oh_at).map_err(failed)?,
        ),
        low_credit: (
            lc,
            as_of(query.low_credit_limit.projection(), events, lc_at).map_err(failed)?,
        ),
        new_customers: (
            nc,
            as_of(query.new_customers.projection(), events, nc_at).map_err(failed)?,
        ),
    })
}

/// Every view as it stands now, from the live checkpoints (by projection name): at "now", time
/// travel shows what the views hold, not what the journal last wrote down, since the projections'
/// runner moves them without a journal entry.
pub fn views_now(
    query: &QuerySide,
    events: &[EventEnvelope],
    positions: &[(String, u64)],
) -> Result<ViewsThen, String> {
    views_by(query, events, |name| {
        let at = positions
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, p)| *p);
        (Some(at), at)
    })
}

/// Every view as it stood while the log was at `position`: the checkpoints come from the last
/// journal entry made while the head was at or below it.
pub fn views_at(
    query: &QuerySide,
    events: &[EventEnvelope],
    entries: &[Entry],
    position: u64,
) -> Result<ViewsThen, String> {
    views_after(query, events, journal::at_head(entries, position), position)
}
