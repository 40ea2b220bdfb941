//! Prints the sample order cycle as an EDIFACT D.96A interchange.
fn main() {
    let outgoing = renkei_edi::Outgoing {
        sender: "4912345000019".into(),
        recipient: "4998765000011".into(),
        reference: "000000417".into(),
        prepared: "2026-11-21".parse().expect("date"),
        time: "0930".into(),
    };
    print!(
        "{}",
        renkei_edi::edifact::write(
            &outgoing,
            renkei_edi::edifact::Version::D96A,
            &renkei_edi::samples::cycle()
        )
    );
}
