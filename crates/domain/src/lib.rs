//! Foldlab's pure event-sourcing core: the Order and Customer aggregates as deciders, the events they
//! emit, the envelope an event store keeps around each event (and the upcasters that bring old
//! schemas up to date on read), the choreography that ties the two services together, and the
//! query side's projections: the customer view, the order history, and the queries the event store
//! itself cannot answer.
//!
//! Nothing here touches a browser, a storage engine, a clock or randomness: ids and timestamps arrive
//! inside commands and envelopes, so every function is a deterministic function of its arguments and
//! the whole crate is tested natively.
#![deny(missing_docs)]

pub mod codec;
pub mod customer;
pub mod decider;
pub mod envelope;
pub mod ids;
pub mod low_credit;
pub mod money;
pub mod new_customers;
pub mod order;
pub mod order_history;
pub mod parts;
pub mod policy;
pub mod projection;
pub mod snapshot;
#[cfg(test)]
mod testing;
pub mod text;
pub mod upcast;
pub mod view;
pub mod write_model;

pub use codec::{decode, DecodeError, DomainEvent, StoredEvent};
pub use customer::{
    Customer, CustomerCommand, CustomerDecider, CustomerError, CustomerEvent, CustomerState,
};
pub use decider::{fold, Decider};
pub use envelope::{EventEnvelope, Metadata, NewEvent};
pub use ids::{CustomerId, OrderId, ProductId};
pub use low_credit::{CreditLine, LowCreditLimitProjection, LowCreditLimits};
pub use money::{Money, MoneyParseError};
pub use new_customers::{
    HighValueOrder, NewCustomer, NewCustomersProjection, NewCustomersWithHighValueOrders,
};
pub use order::{
    CancelReason, LineItem, Order, OrderCommand, OrderDecider, OrderError, OrderEvent, OrderState,
    OrderStatus,
};
pub use order_history::{OrderHistories, OrderHistory, OrderHistoryProjection, StatusChange};
pub use parts::{
    assemble, same_shape, AssemblyError, DocumentMap, DocumentParts, GroupedMap, InParts, MapShape,
    PartChange,
};
pub use projection::{as_of, project, ApplyOutcome, Projection, UnreadableEvent};
pub use snapshot::{SnapshotRejection, Snapshotting};
pub use view::{CustomerView, CustomerViewProjection, CustomerViews, OrderSummary};
pub use write_model::WriteModel;
