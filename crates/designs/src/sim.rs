//! The simulator: every design plays the same drawn stories (orders, orders placed at once,
//! deliveries in between, one crash at a drawn point, the switches), and a table counts, per
//! design, the share of seeds on which each kind of promise broke.

use crate::check::Kind;
use crate::design::{run, Design, NewOrder, Options, Story, StoryStep};
use crate::env::{Crash, CrashPoint};
use crate::storage::{MemoryStorage, StorageError};
use std::collections::{BTreeMap, BTreeSet};

/// How many seeds `cargo run -p foldlab-designs --bin designs` and the lab run per design.
pub const SEEDS: u64 = 1_000;

/// The command that prints the table.
pub const COMMAND: &str = "cargo run -p foldlab-designs --bin designs";

/// A small deterministic generator (SplitMix64), so a seed always draws the same run.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The story and switches seed `seed` draws: a credit limit, two to four placements (some of two
/// orders at once), deliveries in between, a crash at a drawn point and time (on 3 seeds in 4),
/// and each switch on half the seeds.
pub fn draw(seed: u64) -> (Story, Options) {
    let mut rng = Rng::new(seed);
    let limit = 50 + 10 * rng.below(11);
    let mut steps = Vec::new();
    let mut next_id = 1;
    for _ in 0..2 + rng.below(3) {
        let n = if rng.chance(30) { 2 } else { 1 };
        let orders = (0..n)
            .map(|_| {
                let id = format!("o-{next_id}");
                next_id += 1;
                NewOrder {
                    id,
                    total: 10 * (1 + rng.below(8)),
                }
            })
            .collect();
        steps.push(StoryStep::Place(orders));
        if rng.chance(50) {
            let picks = (0..1 + rng.below(6)).map(|_| rng.below(8) as u32).collect();
            steps.push(StoryStep::Deliver(picks));
        }
    }
    let crash = rng.chance(75).then(|| Crash {
        point: CrashPoint::ALL[rng.below(3) as usize],
        nth: rng.below(4) as u32,
    });
    let opts = Options {
        crash,
        publish_before_write: rng.chance(50),
        forget_event: rng.chance(50),
    };
    (Story { limit, steps }, opts)
}

/// The kinds one seed breaks under one design.
pub fn broken(design: Design, seed: u64) -> Result<BTreeSet<Kind>, StorageError> {
    let (story, opts) = draw(seed);
    let mut storage = MemoryStorage::new();
    let outcome = run(&mut storage, design, &story, &opts)?;
    Ok(outcome.findings.iter().map(|f| f.kind).collect())
}

/// Per kind of broken promise: how many seeds broke it, and the first seed that did.
pub type Counts = BTreeMap<Kind, (u64, u64)>;

/// The simulator's result: per design, how many seeds broke each kind (and the first such seed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Seeds per design.
    pub seeds: u64,
    /// Per design (in the lab's order), per kind: (seeds that broke it, the first such seed).
    pub rows: Vec<(Design, Counts)>,
}

impl Table {
    /// The share of seeds, in percent, on which `design` broke `kind`.
    pub fn share(&self, design: Design, kind: Kind) -> f64 {
        let count = self
            .rows
            .iter()
            .find(|(d, _)| *d == design)
            .and_then(|(_, kinds)| kinds.get(&kind))
            .map_or(0, |(n, _)| *n);
        100.0 * count as f64 / self.seeds as f64
    }

    /// The table as text: one line per design and kind broken ("none" when nothing broke).
    pub fn render(&self) -> String {
        let mut out = format!(
            "{:<38} {:<48} {:>9} {:>7}  {}\n",
            "design", "invariant broken", "seeds", "share", "first seed"
        );
        for (design, kinds) in &self.rows {
            if kinds.is_empty() {
                out += &format!(
                    "{:<38} {:<48} {:>9} {:>6.1}%  {}\n",
                    design.name(),
                    "none",
                    format!("0/{}", self.seeds),
                    0.0,
                    "-"
                );
            }
            for (kind, (n, first)) in kinds {
                out += &format!(
                    "{:<38} {:<48} {:>9} {:>6.1}%  {}\n",
                    design.name(),
                    kind.label(),
                    format!("{n}/{}", self.seeds),
                    100.0 * *n as f64 / self.seeds as f64,
                    first
                );
            }
        }
        out
    }
}

/// Runs one design over seeds `0..seeds` (the lab runs the designs one at a time, drawing the
/// page in between).
pub fn simulate_design(design: Design, seeds: u64) -> Result<Counts, StorageError> {
    let mut kinds = Counts::new();
    for seed in 0..seeds {
        for kind in broken(design, seed)? {
            kinds.entry(kind).or_insert((0, seed)).0 += 1;
        }
    }
    Ok(kinds)
}

/// Runs every design over seeds `0..seeds`.
pub fn simulate(seeds: u64) -> Result<Table, StorageError> {
    let rows = Design::ALL
        .into_iter()
        .map(|d| simulate_design(d, seeds).map(|kinds| (d, kinds)))
        .collect::<Result<_, _>>()?;
    Ok(Table { seeds, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulator_table_holds_the_articles_facts() {
        let table = simulate(SEEDS).expect("memory storage does not fail");
        println!("{SEEDS} seeds per design ({COMMAND}):\n{}", table.render());
        let share = |d, k| table.share(d, k);
        // Event sourcing: nothing breaks, on any seed.
        assert!(table
            .rows
            .iter()
            .any(|(d, kinds)| *d == Design::EventSourcing && kinds.is_empty()));
        // The monolith is consistent, but only because both tables share one database.
        assert_eq!(share(Design::Monolith, Kind::OneDatabase), 100.0);
        for kind in [
            Kind::StuckNew,
            Kind::Phantom,
            Kind::LostSilently,
            Kind::OverLimit,
            Kind::StaleRead,
        ] {
            assert_eq!(share(Design::Monolith, kind), 0.0, "{kind:?}");
            assert_eq!(share(Design::OneAggregate, kind), 0.0, "{kind:?}");
        }
        // The bigger aggregate serializes orders of one customer placed at once.
        assert!(share(Design::OneAggregate, Kind::Conflict) > 0.0);
        // A dual write loses events and announces changes that never happened.
        assert!(share(Design::DualWrite, Kind::StuckNew) > 0.0);
        assert!(share(Design::DualWrite, Kind::Phantom) > 0.0);
        // Publishing first loses nothing, but never reads its own write at once.
        assert_eq!(share(Design::PublishFirst, Kind::StaleRead), 100.0);
        for kind in [Kind::StuckNew, Kind::Phantom, Kind::LostSilently] {
            assert_eq!(share(Design::PublishFirst, kind), 0.0, "{kind:?}");
            assert_eq!(share(Design::LogTailing, kind), 0.0, "{kind:?}");
        }
        // Log tailing publishes every change, as row changes.
        assert_eq!(share(Design::LogTailing, Kind::RowChanges), 100.0);
        // The EVENTS table loses events only where the code forgot to write them.
        assert!(share(Design::EventsTable, Kind::LostSilently) > 0.0);
        assert_eq!(share(Design::EventsTable, Kind::StuckNew), 0.0);
        // No design but publish-first reserves over the limit.
        for design in Design::ALL {
            if design != Design::PublishFirst {
                assert_eq!(share(design, Kind::OverLimit), 0.0, "{design:?}");
            }
        }
    }

    #[test]
    fn events_are_lost_in_the_events_table_design_only_when_the_switch_is_on() {
        for seed in 0..300 {
            let (_, opts) = draw(seed);
            let lost = broken(Design::EventsTable, seed)
                .expect("run")
                .contains(&Kind::LostSilently);
            assert!(!lost || opts.forget_event, "seed {seed}");
        }
    }

    #[test]
    fn a_seed_draws_the_same_run_every_time() {
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(1), draw(2));
    }
}
