//! `scenario FILE`: plays a scenario file (format in `scenarios/README.md`) on the memory store and
//! prints the steps' results, the event log and the views as JSON. Exits 0 when every invariant and
//! expectation held, 1 when one did not, 2 when the file cannot be read or parsed.

use foldlab_lab::scenario::{play, Scenario};
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: scenario FILE\n\nPlays a scenario file (see scenarios/README.md) on the memory store and prints\nthe steps' results, the event log and the views as JSON. Exit status: 0 when\nevery invariant and expectation held, 1 when one did not, 2 when the file\ncannot be read or parsed.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = match args.as_slice() {
        [flag] if flag == "-h" || flag == "--help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        [path] => path,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("scenario: cannot read {path}: {error}");
            return ExitCode::from(2);
        }
    };
    let scenario = match Scenario::parse(&text) {
        Ok(scenario) => scenario,
        Err(error) => {
            eprintln!("scenario: {path}: {error}");
            return ExitCode::from(2);
        }
    };
    let played = play(&scenario);
    match serde_json::to_string_pretty(&played) {
        // A reader that stops early (`| head`) is not an error worth a panic: stop writing.
        Ok(json) => {
            let _ = writeln!(std::io::stdout().lock(), "{json}");
        }
        Err(error) => {
            eprintln!("scenario: the result cannot be written as JSON: {error}");
            return ExitCode::from(2);
        }
    }
    if played.passed {
        ExitCode::SUCCESS
    } else {
        for failure in &played.failures {
            eprintln!("scenario: {path}: {failure}");
        }
        ExitCode::from(1)
    }
}
