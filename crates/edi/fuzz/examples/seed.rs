//! Writes the seed corpora under `corpus/<target>/seed-*`: the crate's
//! fixtures, and the sample order cycle (`samples::cycle()`) written in every
//! format. Run from `crates/edi/fuzz`: `cargo run --example seed`.

use std::{fs, path::Path};

use renkei_edi::{Date, Document, Outgoing, edifact, samples, sheet, ubl, x12};

fn put(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    fs::create_dir_all(&dir).expect("creating the corpus directory");
    fs::write(dir.join(format!("seed-{name}")), bytes).expect("writing a seed");
}

/// A decoder seed: a chunk-size byte, then the input.
fn put_chunked(target: &str, name: &str, bytes: &[u8]) {
    for size in [0u8, 6, 63, 255] {
        let mut data = vec![size];
        data.extend_from_slice(bytes);
        put(target, &format!("{name}-chunk{}", size as usize + 1), &data);
    }
}

fn fixtures(kind: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(kind);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("reading the fixtures")
        .map(|e| e.expect("a fixture").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().expect("a name").to_string_lossy().into_owned();
            (name, fs::read(&p).expect("reading a fixture"))
        })
        .collect()
}

fn main() {
    let outgoing = Outgoing {
        sender: "4912345000019".into(),
        recipient: "4998765000011".into(),
        reference: "000000417".into(),
        prepared: Date::new(2026, 11, 21).expect("a real date"),
        time: "0930".into(),
    };
    let cycle = samples::cycle();

    let mut edifact_inputs = fixtures("edifact");
    for version in [edifact::Version::D96A, edifact::Version::D01B] {
        let written = edifact::write(&outgoing, version, &cycle);
        edifact_inputs.push((format!("cycle-{}.edi", version.release()), written.into_bytes()));
    }
    for (name, bytes) in &edifact_inputs {
        put("edifact_read", name, bytes);
        put("edifact_roundtrip", name, bytes);
        put_chunked("edifact_decoder", name, bytes);
    }

    // X12 has no release character: take its delimiters out of the texts.
    let mut x12_cycle = cycle.clone();
    for d in &mut x12_cycle {
        x12::plain_text(d);
    }
    let mut x12_inputs = fixtures("x12");
    for version in [x12::Version::V004010, x12::Version::V005010] {
        let written = x12::write(&outgoing, version, &x12_cycle).expect("the cycle writes as X12");
        x12_inputs.push((
            format!("cycle-{}.x12", version.group_version()),
            written.into_bytes(),
        ));
    }
    for (name, bytes) in &x12_inputs {
        put("x12_read", name, bytes);
        put("x12_roundtrip", name, bytes);
        put_chunked("x12_decoder", name, bytes);
    }

    let mut ubl_inputs = fixtures("ubl");
    for document in &cycle {
        let name = format!("cycle-{}.xml", document.kind().as_str());
        ubl_inputs.push((name, ubl::write(document).into_bytes()));
    }
    for (name, bytes) in &ubl_inputs {
        put("ubl_read", name, bytes);
    }

    let mut csv_inputs = fixtures("sheet");
    for (language, tag) in [(sheet::Language::English, "en"), (sheet::Language::Japanese, "ja")] {
        csv_inputs.push((format!("cycle-{tag}.csv"), sheet::write_csv(&cycle, language)));
        for document in &cycle {
            let name = format!("{}-{tag}", document.kind().as_str());
            let one: &[Document] = std::slice::from_ref(document);
            put("sheet_xlsx", &format!("{name}.xlsx"), &sheet::write_xlsx(one, language));
        }
        put("sheet_xlsx", &format!("cycle-{tag}.xlsx"), &sheet::write_xlsx(&cycle, language));
    }
    for (name, bytes) in &csv_inputs {
        put("sheet_csv", name, bytes);
    }
}
