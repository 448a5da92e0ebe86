//! The lab's views. Each reads the [`Lab`](crate::lab::Lab) from context and renders; none holds a
//! business rule.

pub mod as_of;
pub mod ask;
pub mod bench;
pub mod choreography;
pub mod choreography_page;
pub mod chunk;
pub mod command_side;
pub mod designs;
pub mod display;
pub mod event_table;
pub mod events;
pub mod faults;
pub mod header;
pub mod integrity;
pub mod lab_page;
pub mod lessons;
pub mod marks;
pub mod projections;
pub mod query_side;
pub mod share;
pub mod snapshots;
pub mod start;
pub mod store_closed;
pub mod time_travel;
pub mod transport;
