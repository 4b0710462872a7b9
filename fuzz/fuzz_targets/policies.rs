//! Fuzz target: evictsim::fuzzing::policies on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evictsim::fuzzing::policies(data));
