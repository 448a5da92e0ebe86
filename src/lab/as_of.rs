//! The lab as it stood at a past moment, for the choreography's step back and for time travel:
//! every aggregate folded from the events up to a position, and every view as of the checkpoint it
//! had then (read from the journal), so a view that lagged is shown lagging. Nothing is written:
//! looking back folds a prefix of the log, it never deletes an event.

use super::{journal, Entry, LabEngine};
use foldlab_domain::{
    CustomerViewProjection, CustomerViews, EventEnvelope, LowCreditLimitProjection,
    LowCreditLimits, NewCustomersProjection, NewCustomersWithHighValueOrders, OrderHistories,
    OrderHistoryProjection, WriteModel,
};

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

/// The aggregates folded from the events with `event_id <= position`.
pub fn model_at(events: &[EventEnvelope], position: u64) -> WriteModel {
    WriteModel::from_log(events.iter().take_while(|e| e.event_id <= position))
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

/// Every view as it stood right after `entry` (the views' checkpoints are read from it, and each
/// view is folded as of its own checkpoint with its projector's `state_as_of`).
pub async fn views_after(
    engine: &LabEngine,
    entry: Option<&Entry>,
    fallback: u64,
) -> Result<ViewsThen, String> {
    let store = engine.store();
    let query = engine.query_side();
    let failed = |e: foldlab_store::ProjectorError| format!("A view could not be folded: {e}");
    let (cv, cv_at) = checkpoint(entry, CustomerViewProjection::NAME, fallback);
    let (oh, oh_at) = checkpoint(entry, OrderHistoryProjection::NAME, fallback);
    let (lc, lc_at) = checkpoint(entry, LowCreditLimitProjection::NAME, fallback);
    let (nc, nc_at) = checkpoint(entry, NewCustomersProjection::NAME, fallback);
    Ok(ViewsThen {
        customer_view: (
            cv,
            query
                .customer_view
                .state_as_of(store, cv_at)
                .await
                .map_err(failed)?,
        ),
        order_history: (
            oh,
            query
                .order_history
                .state_as_of(store, oh_at)
                .await
                .map_err(failed)?,
        ),
        low_credit: (
            lc,
            query
                .low_credit_limit
                .state_as_of(store, lc_at)
                .await
                .map_err(failed)?,
        ),
        new_customers: (
            nc,
            query
                .new_customers
                .state_as_of(store, nc_at)
                .await
                .map_err(failed)?,
        ),
    })
}

/// Every view as it stood while the log was at `position`: the checkpoints come from the last
/// journal entry made while the head was at or below it.
pub async fn views_at(
    engine: &LabEngine,
    entries: &[Entry],
    position: u64,
) -> Result<ViewsThen, String> {
    views_after(engine, journal::at_head(entries, position), position).await
}
