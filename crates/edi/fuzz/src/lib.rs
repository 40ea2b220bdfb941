//! Helpers shared by the fuzz targets.

/// Splits `data` into the chunks a streaming decoder is fed: the first
/// byte picks the chunk size (1..=256), the rest is the input. Returns the
/// input and the chunk size.
pub fn split(data: &[u8]) -> Option<(&[u8], usize)> {
    let (&first, rest) = data.split_first()?;
    Some((rest, first as usize + 1))
}
