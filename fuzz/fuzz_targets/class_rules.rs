//! Fuzz target: evictsim::fuzzing::class_rules on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evictsim::fuzzing::class_rules(data));
