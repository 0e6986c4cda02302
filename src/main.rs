//! The `mayday` binary: everything lives in the library.

// Loading thousands of runbooks on every core is allocation-heavy; mimalloc
// keeps that from contending on one allocator lock.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    mayday::cli::main()
}
