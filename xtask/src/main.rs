//! `cargo xtask <task>` entry point: parses the arguments, runs the task, and turns an error
//! into one `error:` line and a non-zero exit code.

use std::process::ExitCode;

use xtask::cli::{self, Task};
use xtask::{bench, build, pipeline, setup, size, Project, Result};

fn main() -> ExitCode {
    let task = match cli::parse(std::env::args().skip(1)) {
        Ok(task) => task,
        Err(error) => {
            eprintln!("error: {error}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    match run(task) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if !error.is_reported() {
                eprintln!("error: {error}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(task: Task) -> Result<()> {
    if task == Task::Help {
        print!("{}", cli::USAGE);
        return Ok(());
    }
    let project = Project::locate()?;
    match task {
        Task::Setup => setup::all(&project),
        Task::Serve => build::serve(&project),
        Task::Build { public_url, dist } => build::build(&project, &public_url, &dist),
        Task::Size => size::size(&project),
        Task::Test(stages) => pipeline::test(&project, stages),
        Task::Bench { quick } => bench::bench(&project, quick),
        Task::Help => Ok(()),
    }
}
