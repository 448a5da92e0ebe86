//! The lab's views. Each reads the [`Lab`](crate::lab::Lab) from context and renders; none holds a
//! business rule.

pub mod about;
pub mod choreography;
pub mod command_side;
pub mod event_table;
pub mod events;
pub mod faults;
pub mod header;
pub mod lab_page;
pub mod query_side;
