//! The arithmetic of the lab's timelines, kept apart from the page so it can be tested natively:
//! where a cursor over the journal of deliveries may stand and where a step moves it, which
//! recorded moment a log position falls in, which positions a strip of the log shows, and how a
//! view's lag at that moment is told.
//!
//! Looking back never changes the store: a cursor in the past only selects what to fold. Only a
//! step forward taken at "now" makes a real delivery.

/// The steps a cursor over a journal may stand on: `first..=last`, where a step is the number of
/// the journal entry just made (0 is "before anything happened") and `last` is "now".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Steps {
    /// The earliest step whose state is known.
    pub first: u64,
    /// The latest step: now.
    pub last: u64,
}

impl Steps {
    /// The steps over a journal whose entries are numbered `oldest..=newest` (consecutively), or
    /// over an empty journal (`None`). When the oldest entries were dropped, the moments before
    /// the oldest one kept were not recorded, so the cursor stops at the oldest kept.
    pub fn over(numbers: Option<(u64, u64)>) -> Steps {
        match numbers {
            None => Steps { first: 0, last: 0 },
            Some((oldest, newest)) => Steps {
                first: if oldest <= 1 { 0 } else { oldest },
                last: newest,
            },
        }
    }

    /// The step a URL asked for, kept within bounds; no (or an unreadable) request means now.
    pub fn requested(self, step: Option<&str>) -> u64 {
        step.and_then(|s| s.trim().parse::<u64>().ok())
            .map_or(self.last, |s| self.clamp(s))
    }

    /// `step` kept within bounds.
    pub fn clamp(self, step: u64) -> u64 {
        step.clamp(self.first, self.last)
    }

    /// Whether `step` is now (the latest step).
    pub fn is_now(self, step: u64) -> bool {
        step >= self.last
    }

    /// Where "step forward" goes from `step`.
    pub fn forward(self, step: u64) -> Forward {
        if self.is_now(step) {
            Forward::Deliver
        } else {
            Forward::To(self.clamp(step + 1))
        }
    }

    /// Where "step back" goes from `step`, or `None` at the first step.
    pub fn back(self, step: u64) -> Option<u64> {
        let step = self.clamp(step);
        (step > self.first).then(|| step - 1)
    }

    /// The index in the journal of the entry made at `step` (`None` for step 0), given the number
    /// of the oldest entry kept.
    pub fn index(self, step: u64, oldest: u64) -> Option<usize> {
        let step = self.clamp(step);
        (step >= oldest.max(1)).then(|| (step - oldest.max(1)) as usize)
    }
}

/// What a step forward does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forward {
    /// The cursor is at now: make a real delivery (which adds the next step).
    Deliver,
    /// The cursor is in the past: move to this step, which already happened.
    To(u64),
}

/// A log position asked for by a URL, kept within `0..=head`; none (or an unreadable one) means
/// the head.
pub fn requested_position(position: Option<&str>, head: u64) -> u64 {
    position
        .and_then(|p| p.trim().parse::<u64>().ok())
        .map_or(head, |p| p.min(head))
}

/// The log positions a strip of marks shows around `position`: at most `width` consecutive
/// positions within `0..=head` (0 is "before the first event"), with `position` as near the
/// middle as the ends of the log allow, so the current mark is always among them.
pub fn strip(position: u64, head: u64, width: u64) -> std::ops::RangeInclusive<u64> {
    let width = width.max(1);
    let position = position.min(head);
    if head < width {
        return 0..=head;
    }
    let first = position.saturating_sub(width / 2).min(head + 1 - width);
    first..=first + width - 1
}

/// One plain sentence on what a view held when the log stood at `position`, given its checkpoint
/// at that moment (`None` when no moment was recorded for it).
pub fn view_at(label: &str, checkpoint: Option<u64>, position: u64) -> String {
    match checkpoint {
        _ if position == 0 => format!("The {label} was empty: the log held no events yet."),
        None => format!(
            "No delivery was recorded by #{position}, so what the {label} held then is not known; it is shown as the fold up to #{position}."
        ),
        Some(0) => format!(
            "The {label} had applied nothing yet of #{position}: it was behind by {position} event{}.",
            plural(position)
        ),
        Some(at) if at >= position => {
            format!("The {label} had applied every event up to #{position}: it was up to date.")
        }
        Some(at) => format!(
            "The {label} had applied up to #{at} of #{position}: it was {} event{} behind, so a read then returned this older state.",
            position - at,
            plural(position - at)
        ),
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(oldest: u64, newest: u64) -> Steps {
        Steps::over(Some((oldest, newest)))
    }

    #[test]
    fn an_empty_journal_has_only_step_zero_and_it_is_now() {
        let s = Steps::over(None);
        assert_eq!(s, Steps { first: 0, last: 0 });
        assert_eq!(s.forward(0), Forward::Deliver);
        assert_eq!(s.back(0), None);
        assert_eq!(s.index(0, 1), None);
    }

    #[test]
    fn stepping_forward_at_now_delivers_and_in_the_past_moves_the_cursor() {
        let s = steps(1, 12);
        assert_eq!(s.forward(12), Forward::Deliver);
        assert_eq!(s.forward(11), Forward::To(12));
        assert_eq!(s.forward(0), Forward::To(1));
    }

    #[test]
    fn stepping_back_stops_before_the_first_entry() {
        let s = steps(1, 12);
        assert_eq!(s.back(12), Some(11));
        assert_eq!(s.back(1), Some(0));
        assert_eq!(s.back(0), None);
    }

    #[test]
    fn when_old_entries_were_dropped_the_cursor_stops_at_the_oldest_kept() {
        let s = steps(40, 45);
        assert_eq!(s.first, 40);
        assert_eq!(s.back(40), None);
        assert_eq!(s.requested(Some("3")), 40);
        assert_eq!(s.index(40, 40), Some(0));
        assert_eq!(s.index(45, 40), Some(5));
    }

    #[test]
    fn a_url_step_is_clamped_and_a_missing_or_garbled_one_means_now() {
        let s = steps(1, 7);
        assert_eq!(s.requested(Some("3")), 3);
        assert_eq!(s.requested(Some("99")), 7);
        assert_eq!(s.requested(Some("three")), 7);
        assert_eq!(s.requested(None), 7);
        assert!(s.is_now(7));
        assert!(!s.is_now(6));
    }

    #[test]
    fn the_entry_made_at_a_step_is_found_by_its_number() {
        let s = steps(1, 7);
        assert_eq!(s.index(0, 1), None);
        assert_eq!(s.index(1, 1), Some(0));
        assert_eq!(s.index(7, 1), Some(6));
    }

    #[test]
    fn a_url_position_is_kept_within_the_log() {
        assert_eq!(requested_position(Some("4"), 9), 4);
        assert_eq!(requested_position(Some("40"), 9), 9);
        assert_eq!(requested_position(Some("-1"), 9), 9);
        assert_eq!(requested_position(None, 9), 9);
    }

    #[test]
    fn a_strip_shows_the_whole_of_a_short_log_and_a_window_of_a_long_one_around_the_position() {
        assert_eq!(strip(3, 9, 41), 0..=9);
        assert_eq!(strip(0, 0, 41), 0..=0);
        assert_eq!(strip(500, 1_000, 41), 480..=520);
        assert_eq!(strip(2, 1_000, 41), 0..=40);
        assert_eq!(strip(1_000, 1_000, 41), 960..=1_000);
        assert_eq!(
            strip(5_000, 1_000, 41),
            960..=1_000,
            "a position past the head is the head"
        );
        for position in [0, 1, 20, 21, 979, 999, 1_000] {
            let marks = strip(position, 1_000, 41);
            assert!(marks.contains(&position));
            assert_eq!(marks.count(), 41);
        }
    }

    #[test]
    fn a_lagging_view_is_told_as_behind_with_both_positions() {
        assert_eq!(
            view_at("customer view", Some(5), 7),
            "The customer view had applied up to #5 of #7: it was 2 events behind, so a read then returned this older state."
        );
        assert_eq!(
            view_at("customer view", Some(7), 7),
            "The customer view had applied every event up to #7: it was up to date."
        );
        assert_eq!(
            view_at("order history", Some(0), 1),
            "The order history had applied nothing yet of #1: it was behind by 1 event."
        );
        assert!(view_at("customer view", None, 3).contains("not known"));
        assert!(view_at("customer view", Some(0), 0).contains("empty"));
    }
}
