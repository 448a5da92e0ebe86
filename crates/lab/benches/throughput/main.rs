//! Benchmarks (`cargo bench -p foldlab-lab --bench throughput`): loading a Customer with a
//! 1,000,000-event history with and without a snapshot, commands per second on the memory store,
//! and rebuilding the customer view from a long log. Ends with a summary that measures, in the
//! same run, the snapshot load against the full fold and checks the 1% budget.
//!
//! They run natively; built for wasm32 (by `--all-targets`, say) this is an empty program, so a
//! wasm32 check of every target still compiles.

#[cfg(not(target_arch = "wasm32"))]
mod native;

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    native::main();
}
