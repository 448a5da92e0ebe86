//! The lab's views. Each reads the [`Lab`](crate::lab::Lab) from context and renders; none holds a
//! business rule.

pub mod about;
pub mod as_of;
pub mod choreography;
pub mod choreography_page;
pub mod command_side;
pub mod event_table;
pub mod header;
pub mod lab_page;
pub mod query_side;
pub mod time_travel;
pub mod transport;
