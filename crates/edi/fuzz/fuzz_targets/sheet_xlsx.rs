//! `sheet::read_xlsx` must never panic, whatever the bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = renkei_edi::sheet::read_xlsx(data);
});
