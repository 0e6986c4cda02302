//! The `mayday` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    mayday::cli::main()
}
