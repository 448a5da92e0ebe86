//! Prints the simulator's table: every design over 1,000 seeds (or `--seeds N`), each kind of
//! broken promise with the share of seeds. `--seed N DESIGN` tells one run instead (DESIGN is a
//! slug such as `dual-write`), so any line of the table can be replayed.

use foldlab_designs::design::Design;
use foldlab_designs::sim::{draw, simulate, COMMAND, SEEDS};
use foldlab_designs::{run, MemoryStorage};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [] => table(SEEDS),
        [flag, n] if flag == "--seeds" => match n.parse() {
            Ok(n) if n > 0 => table(n),
            _ => Err(format!("--seeds wants a positive number, not {n}")),
        },
        [flag, n, slug] if flag == "--seed" => match (n.parse(), Design::from_slug(slug)) {
            (Ok(seed), Some(design)) => one(seed, design),
            _ => Err(format!(
                "--seed wants a number and a design, one of: {}",
                slugs()
            )),
        },
        _ => Err(format!(
            "usage: {COMMAND} [-- --seeds N | -- --seed N DESIGN]\nDESIGN is one of: {}",
            slugs()
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn slugs() -> String {
    Design::ALL.map(Design::slug).join(", ")
}

fn table(seeds: u64) -> Result<(), String> {
    let table = simulate(seeds).map_err(|e| e.to_string())?;
    println!("Every design, the same {seeds} seeds (seed = story, crash point and switches):");
    print!("{}", table.render());
    Ok(())
}

fn one(seed: u64, design: Design) -> Result<(), String> {
    let (story, opts) = draw(seed);
    println!("Seed {seed} under {}:", design.name());
    println!("story: {story:?}");
    println!("switches: {opts:?}");
    let outcome =
        run(&mut MemoryStorage::new(), design, &story, &opts).map_err(|e| e.to_string())?;
    for line in &outcome.seen.narration {
        println!("  {line}");
    }
    println!("The checker found:");
    if outcome.findings.is_empty() {
        println!("  nothing broken");
    }
    for f in &outcome.findings {
        println!("  {}", f.sentence);
    }
    Ok(())
}
