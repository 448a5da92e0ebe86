//! Change you can see: memos that compare what a panel shows now with what it showed at the last
//! render (the comparing itself is `foldlab_lab::marks`, tested natively), and the marks a
//! panel puts on what changed: `data-fresh` on a new row or a changed cell (style/stage.css
//! animates it, unless the user asks for reduced motion), and "was $1,000.00" under a new value
//! (`data-was`, drawn by the stylesheet, so the cell's own text stays the value).
//! Nothing is marked until the lab has read its whole log, so opening a page marks nothing.

use crate::address::href;
use crate::lab::{Lab, Readout, StoreStatus};
use foldlab_domain::OrderState;
use foldlab_lab::marks::{HighMark, Seen};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// Whether the lab shows its whole log: the store is open and every stored event has been read.
fn settled(lab: Lab) -> bool {
    let open = lab.status.with(|s| matches!(s, StoreStatus::Ready { .. }));
    open && lab.loading.with(Option::is_none)
        && lab
            .readout
            .with(|s| s.events.last().map_or(0, |e| e.event_id) == s.stored_head)
}

/// A value followed render by render; `settled` is false while the lab is still loading, and the
/// first settled render after that marks nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Tracked<T> {
    settled: bool,
    /// What changed in the last render.
    pub now: T,
}

fn track<X: 'static, T: Clone + PartialEq + Send + Sync + 'static>(
    lab: Lab,
    read: impl Fn() -> X + Send + Sync + 'static,
    first: fn(X) -> T,
    next: fn(&T, X) -> T,
) -> Memo<Tracked<T>> {
    Memo::new(move |previous: Option<&Tracked<T>>| {
        let settled = settled(lab);
        let value = read();
        let now = match previous {
            Some(p) if settled && p.settled => next(&p.now, value),
            _ => first(value),
        };
        Tracked { settled, now }
    })
}

fn high_mark(lab: Lab, read: impl Fn() -> u64 + Send + Sync + 'static) -> Memo<Tracked<HighMark>> {
    track(lab, read, HighMark::first, |m, now| m.next(now))
}

fn seen<K, V>(
    lab: Lab,
    read: impl Fn() -> BTreeMap<K, V> + Send + Sync + 'static,
) -> Memo<Tracked<Seen<K, V>>>
where
    K: Ord + Clone + Send + Sync + 'static,
    V: PartialEq + Clone + Send + Sync + 'static,
{
    track(lab, read, Seen::first, |s, now| s.next(now))
}

/// The events that arrived in the last render (by id).
pub fn new_events(lab: Lab) -> Memo<Tracked<HighMark>> {
    high_mark(lab, move || {
        lab.readout
            .with(|s: &Readout| s.events.last().map_or(0, |e| e.event_id))
    })
}

/// The journal's steps that arrived in the last render (by number). A step is written to the
/// journal before the lab reads the store again, so the render that shows it is the next read
/// of the store: that is when this moves on. Until then the newest step is newer than
/// [`HighMark::high`], and a panel marks nothing.
pub fn new_steps(lab: Lab) -> Memo<Tracked<HighMark>> {
    high_mark(lab, move || {
        lab.readout.track();
        lab.journal
            .with_untracked(|j| j.last().map_or(0, |e| e.number))
    })
}

/// Each subscriber's checkpoint, by subscriber name.
pub fn checkpoints(lab: Lab) -> Memo<Tracked<Seen<String, u64>>> {
    seen(lab, move || {
        lab.readout.with(|s| {
            s.positions
                .iter()
                .map(|(sub, at)| (sub.name().to_string(), *at))
                .collect()
        })
    })
}

/// A money cell of a keyed row: which row, and which column.
pub type Cell = (String, &'static str);

/// Every money cell of the command side's customers table (credit limit, reserved, available),
/// for the customers it shows.
pub fn customer_cells(lab: Lab) -> Memo<Tracked<Seen<Cell, String>>> {
    seen(lab, move || {
        lab.readout.with(|s| {
            let mut cells = BTreeMap::new();
            for id in newest(&s.model.customer_order) {
                let state = s.model.customers.get(id);
                if let Some(c) = state.and_then(|state| state.customer()) {
                    let id = id.to_string();
                    cells.insert((id.clone(), "limit"), c.credit_limit.to_string());
                    cells.insert((id.clone(), "reserved"), c.reserved().to_string());
                    cells.insert((id, "available"), c.available_credit().to_string());
                }
            }
            cells
        })
    })
}

/// Every money cell of the customer view (credit limit, available credit).
pub fn view_cells(lab: Lab) -> Memo<Tracked<Seen<Cell, String>>> {
    seen(lab, move || {
        lab.readout.with(|s| {
            let mut cells = BTreeMap::new();
            for (id, c) in &s.view.customers {
                let id = id.to_string();
                cells.insert((id.clone(), "limit"), c.credit_limit.to_string());
                cells.insert((id, "available"), c.available_credit.to_string());
            }
            cells
        })
    })
}

/// Each order's status on the command side, by order id, for the orders its table shows.
pub fn order_statuses(lab: Lab) -> Memo<Tracked<Seen<String, String>>> {
    seen(lab, move || {
        lab.readout.with(|s| {
            newest(&s.model.order_order)
                .iter()
                .filter_map(|id| match s.model.orders.get(id)? {
                    OrderState::Placed(o) => Some((id.to_string(), o.status.to_string())),
                    _ => None,
                })
                .collect()
        })
    })
}

/// How many rows a table on the stage shows (the event store's, the customers', the orders'): a
/// long lab (tens of thousands of events) would otherwise draw every one of them after every
/// command. Thirty fill the stage's boxes; every row laid out costs each command's frames (at
/// 100,000 events, 100 rows a table took about 15 ms more per command than 30).
pub const SHOWN_ROWS: usize = 30;

/// The newest [`SHOWN_ROWS`] of `ids` (oldest first), for a table that shows only those.
pub fn newest<T>(ids: &[T]) -> &[T] {
    &ids[ids.len().saturating_sub(SHOWN_ROWS)..]
}

/// `data-fresh` for something that changed in the last render.
pub fn fresh(changed: bool) -> Option<&'static str> {
    changed.then_some("")
}

/// A money value and, when it changed in the last render, what it was.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MoneyCell {
    value: String,
    was: Option<String>,
    changed: bool,
}

impl MoneyCell {
    /// The cell `column` of row `id`, showing `value`, marked from `marks`.
    pub fn of(
        marks: &Tracked<Seen<Cell, String>>,
        id: &str,
        column: &'static str,
        value: String,
    ) -> Self {
        let key = (id.to_string(), column);
        Self {
            was: marks.now.was(&key).cloned(),
            changed: marks.now.change(&key).is_some(),
            value,
        }
    }

    /// The cell as the tables show it.
    pub fn view(self) -> impl IntoView {
        view! { <span class="value" data-fresh=fresh(self.changed) data-was=self.was>{self.value}</span> }
    }
}

/// An event id as a link to the Events inspector, which opens with that event selected and its
/// cause and effects marked.
pub fn event_link(id: u64) -> impl IntoView {
    view! {
        <a href=href(&format!("/events?event={id}")) class="event-link"
            aria-label=format!("Event #{id} in the Events inspector")>
            {format!("#{id}")}
        </a>
    }
}
