//! Fuzz target: evictsim::fuzzing::scenario on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evictsim::fuzzing::scenario(data));
