//! One module per subcommand. Each `run` returns the exit status, or an error
//! that `main` prints and turns into exit status 2.

pub mod check;
pub mod explain;
pub mod lints;
pub mod report;
pub mod test;
