//! What the property tests of the runtime's parsers share (test builds only): their config and
//! the generator of long inputs.

use proptest::prelude::*;

/// 512 cases a property, and no failure files written into the repository: a failure prints
/// its shrunk input instead.
pub(crate) fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A very long input: a short run of `byte`s, repeated (generating each byte of a long input
/// on its own would cost the tests seconds, and find nothing a repeated run does not).
pub(crate) fn long<S: Strategy<Value = u8>>(
    byte: S,
    len: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<u8>> {
    (proptest::collection::vec(byte, 1..16), len)
        .prop_map(|(run, len)| run.into_iter().cycle().take(len).collect())
}
