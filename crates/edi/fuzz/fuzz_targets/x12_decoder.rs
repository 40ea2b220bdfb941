//! The streaming `x12::Decoder`, fed in chunks whose size comes from the
//! first input byte, must never panic and must read exactly what `x12::read`
//! reads from the same bytes at once (differential check). As in
//! `x12::read`, the reading's envelope is the first one reported, with the
//! functional group of every later one (each reports the group it opens).
#![no_main]
use libfuzzer_sys::fuzz_target;
use renkei_edi::{
    Reading,
    x12::{self, Decoder, Event},
};

fuzz_target!(|data: &[u8]| {
    let Some((input, size)) = renkei_edi_fuzz::split(data) else {
        return;
    };
    let mut envelope = None;
    let mut messages = Vec::new();
    let mut decoder = Decoder::new();
    let mut on = |event| match event {
        Event::Envelope(e) => match &mut envelope {
            None => envelope = Some(e),
            Some(first) => first.groups.extend(e.groups),
        },
        Event::Message(m) => messages.push(m),
    };
    for chunk in input.chunks(size) {
        decoder.feed(chunk, &mut on);
    }
    let problems = decoder.finish(&mut on);
    let streamed = Reading {
        envelope,
        messages,
        problems,
    };
    let whole = x12::read(input);
    assert_eq!(streamed, whole, "chunks of {size} read differently");
});
