//! The guided lessons' words live in `foldlab_lab::lesson_text`, where a native test walks every
//! lesson to its last step; the app takes them from there.

pub use foldlab_lab::lesson::{Act, Group, Lesson, Look};
pub use foldlab_lab::lesson_text::{find, DRIVING_PROJECTIONS, FIRST_LESSON, LESSONS};
