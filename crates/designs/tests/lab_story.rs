//! The lab's story (the one the Designs view runs) under each design, with the crashes the page
//! offers: what the checker says, sentence by sentence.

use foldlab_designs::{run, Crash, CrashPoint, Design, Kind, MemoryStorage, Options, Story};

const BETWEEN: Option<CrashPoint> = Some(CrashPoint::BetweenWriteAndPublish);
const AFTER: Option<CrashPoint> = Some(CrashPoint::AfterPublish);
const CONSUMER: Option<CrashPoint> = Some(CrashPoint::InConsumer);
const CRASHES: [Option<CrashPoint>; 4] = [None, BETWEEN, AFTER, CONSUMER];

fn check(design: Design, crash: Option<CrashPoint>, switch: bool) -> Vec<(Kind, String)> {
    let opts = Options {
        crash: crash.map(|point| Crash { point, nth: 0 }),
        publish_before_write: switch,
        forget_event: switch,
    };
    let outcome =
        run(&mut MemoryStorage::new(), design, &Story::lab(), &opts).expect("memory storage");
    outcome
        .findings
        .into_iter()
        .map(|f| (f.kind, f.sentence))
        .collect()
}

fn sentences(design: Design, crash: Option<CrashPoint>, switch: bool) -> Vec<String> {
    check(design, crash, switch)
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

fn kinds(design: Design, crash: Option<CrashPoint>, switch: bool) -> Vec<Kind> {
    check(design, crash, switch)
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

#[test]
fn event_sourcing_loses_nothing_at_any_crash_point() {
    for crash in CRASHES {
        assert_eq!(
            sentences(Design::EventSourcing, crash, false),
            Vec::<String>::new(),
            "{crash:?}"
        );
    }
}

#[test]
fn a_dual_write_crashing_between_write_and_publish_leaves_the_order_new_for_good() {
    assert_eq!(
        sentences(Design::DualWrite, BETWEEN, false),
        ["Order o-1 is NEW and no event about it will ever be published."]
    );
}

#[test]
fn a_dual_write_that_publishes_first_announces_an_order_that_was_never_stored() {
    assert_eq!(
        sentences(Design::DualWrite, BETWEEN, true),
        ["The broker announced order o-1, which was never stored. Customer c-1 holds $60 of credit for it."]
    );
}

#[test]
fn a_dual_write_crashing_in_the_consumer_never_answers_the_credit_check() {
    assert_eq!(
        sentences(Design::DualWrite, CONSUMER, false),
        ["Order o-1 is NEW for good: it was announced, but the answer to its credit check will never be published."]
    );
}

#[test]
fn a_dual_write_without_a_crash_or_crashing_after_the_publish_breaks_nothing() {
    assert!(sentences(Design::DualWrite, None, false).is_empty());
    assert!(sentences(Design::DualWrite, AFTER, false).is_empty());
}

#[test]
fn the_monolith_is_consistent_but_needs_one_database() {
    for crash in CRASHES {
        assert_eq!(
            kinds(Design::Monolith, crash, false),
            [Kind::OneDatabase],
            "{crash:?}"
        );
    }
}

#[test]
fn the_bigger_aggregate_serializes_two_orders_placed_at_once() {
    for crash in CRASHES {
        assert_eq!(
            kinds(Design::OneAggregate, crash, false),
            [Kind::OneDatabase, Kind::Conflict]
        );
    }
    assert!(sentences(Design::OneAggregate, None, false)[1].starts_with(
        "Two orders of customer c-1 were placed at once. Order o-3 was refused by a conflict"
    ));
}

#[test]
fn publishing_first_never_reads_its_own_write_at_once() {
    let said = sentences(Design::PublishFirst, None, false);
    assert_eq!(
        said[0],
        "A read right after placing order o-1 did not see it."
    );
    assert!(!kinds(Design::PublishFirst, BETWEEN, false).contains(&Kind::StuckNew));
}

#[test]
fn log_tailing_publishes_row_changes() {
    for crash in CRASHES {
        assert_eq!(
            kinds(Design::LogTailing, crash, false),
            [Kind::RowChanges],
            "{crash:?}"
        );
    }
    assert!(sentences(Design::LogTailing, None, false)[0].contains(
        "UPDATE of CUSTOMERS.credit_reserved (c-1: 0 → 60), not events like CreditReserved"
    ));
}

#[test]
fn the_events_table_loses_events_only_where_the_code_forgets_them() {
    for crash in CRASHES {
        assert!(
            sentences(Design::EventsTable, crash, false).is_empty(),
            "{crash:?}"
        );
    }
    assert_eq!(
        sentences(Design::EventsTable, None, true)[0],
        "Order o-1 is APPROVED, but no event saying so was ever published: lost silently."
    );
}
