//! Segment scanning shared by the EDIFACT and X12 readers.
//!
//! Both syntaxes are runs of segments: a tag, data elements split by an
//! element separator, components inside an element, a terminator at the
//! end. They differ only in which bytes play those roles, whether there is
//! a release character (EDIFACT `?`; X12 has none), which bytes may stand
//! between segments, and how a tag is checked. Everything else is here,
//! once:
//!
//! - [`Scanner`] reads one segment per call in a single pass over its bytes:
//!   it finds the terminator, counts lines, and notes where each element
//!   starts ([`Elements`]), so that element `n` is later a slice, not a new
//!   scan from the start of the segment. Nothing is allocated per segment.
//! - [`Buffer`] is the bookkeeping of a streaming decoder: the bytes not yet
//!   read, and the offset and line where they start.
//! - [`read_message`] reads the segments of one message and finds where it
//!   ends in the same pass, into a vector the decoder keeps for every
//!   message ([`recycle`]).
//! - [`References`] remembers the references seen in an interchange in
//!   memory that does not grow with the number of messages when the
//!   references are sequential numbers.

use std::{
    collections::{BTreeMap, HashSet},
    fmt,
};

/// Where something is in an interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// Segment number, from 1 (an EDIFACT `UNA` advice is not counted).
    pub segment: usize,
    /// Line, from 1.
    pub line: usize,
    /// Byte offset of the segment's first character.
    pub offset: usize,
}

impl Position {
    /// The place of the segment here, with its tag when known.
    pub fn place(self, tag: Option<&str>) -> crate::Place {
        crate::Place::at(self.segment, tag, self.line)
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "segment {}, line {}, byte {}",
            self.segment, self.line, self.offset
        )
    }
}

/// Which bytes may stand between segments (and are skipped there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Breaks {
    /// CR, LF, space and tab (EDIFACT).
    Blanks,
    /// CR and LF only (X12, where a space is data).
    LineEnds,
}

impl Breaks {
    pub(crate) fn contains(self, b: u8) -> bool {
        match self {
            Breaks::Blanks => matches!(b, b'\n' | b'\r' | b' ' | b'\t'),
            Breaks::LineEnds => matches!(b, b'\n' | b'\r'),
        }
    }

    /// Offset of the first byte of `input` at or after `from` that is not a break.
    pub(crate) fn skip(self, input: &[u8], from: usize) -> usize {
        let rest = input.get(from..).unwrap_or_default();
        from + rest
            .iter()
            .position(|&b| !self.contains(b))
            .unwrap_or(rest.len())
    }
}

/// The bytes that structure an interchange, as far as scanning is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Separators {
    pub element: u8,
    pub segment: u8,
    pub release: Option<u8>,
    pub breaks: Breaks,
}

impl Separators {
    /// Whether a break byte also ends a segment or releases the next byte:
    /// then where a segment starts depends on whether breaks were skipped,
    /// and message ends are found the careful way.
    pub(crate) fn breaks_overlap(&self) -> bool {
        self.breaks.contains(self.segment) || self.release.is_some_and(|r| self.breaks.contains(r))
    }
}

const SEGMENT: u8 = 1;
const ELEMENT: u8 = 2;
const RELEASE: u8 = 4;
const NEWLINE: u8 = 8;

/// What each byte value means to the scanner; 0 for plain data.
fn classes(s: Separators) -> [u8; 256] {
    let mut table = [0u8; 256];
    table[usize::from(b'\n')] |= NEWLINE;
    table[usize::from(s.element)] |= ELEMENT;
    if let Some(r) = s.release {
        table[usize::from(r)] |= RELEASE;
    }
    table[usize::from(s.segment)] = SEGMENT | (table[usize::from(s.segment)] & NEWLINE);
    table
}

/// The bytes the scanner looks for, eight input bytes at once: the
/// element separator, and the bytes that stop the word-wise search (the
/// terminator, the release character, the line feed).
#[derive(Debug, Clone, Copy)]
struct Specials {
    element: u64,
    stops: [u64; 3],
}

/// The low seven bits of every byte of a word.
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

impl Specials {
    fn new(s: Separators) -> Specials {
        let splat = |b: u8| u64::from(b) * 0x0101_0101_0101_0101;
        // Without a release character the terminator stands in its place.
        let release = s.release.unwrap_or(s.segment);
        Specials {
            element: splat(s.element),
            stops: [splat(s.segment), splat(release), splat(b'\n')],
        }
    }

    /// For a word of input (little-endian): the high bit of each byte that
    /// is an element separator, and a mask whose lowest set bit is the
    /// high bit of the first stop (bits above it may be set falsely; only
    /// the lowest one is used). Always inlined: it runs for every word of
    /// input, and as a call it costs a third more.
    #[inline(always)]
    fn find(&self, word: u64) -> (u64, u64) {
        let stops = self
            .stops
            .iter()
            .fold(0, |found, &splat| found | first_zero(word ^ splat));
        (zero_bytes(word ^ self.element), stops)
    }
}

/// A mask whose lowest set bit is the high bit of the first zero byte of
/// `v`, or 0 if it has none. Bytes above the first zero may be flagged
/// too (a borrow runs into them), which is why only the lowest bit counts;
/// three operations instead of the four of [`zero_bytes`].
fn first_zero(v: u64) -> u64 {
    v.wrapping_sub(0x0101_0101_0101_0101) & !v & !LOW7
}

/// The high bit of each byte of `v` that is zero, exactly: the low seven
/// bits are added apart from the high one, so no carry crosses a byte.
fn zero_bytes(v: u64) -> u64 {
    let t = (v & LOW7).wrapping_add(LOW7);
    !(t | v | LOW7)
}

/// How many element separator offsets a segment keeps inline; elements
/// after that are found by scanning on from the last one kept (X12's ISA
/// has 16 elements; order lines have at most ten, and a smaller table is
/// less to clear and copy for every segment).
const INLINE: usize = 12;

/// Where the element separators of one segment are: offsets from the start
/// of the segment's text. Element `e` (from 0) is the text between
/// separator `e` and separator `e + 1` (or the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Elements {
    at: [u16; INLINE],
    stored: u8,
    count: u32,
}

impl Elements {
    /// Notes the next separator. Offsets only grow, so once one is too far
    /// in to be kept, so are all after it: every offset kept is at the
    /// index of its element, with no gap.
    fn push(&mut self, offset: usize) {
        let n = self.count as usize;
        if let Some(slot) = self.at.get_mut(n)
            && let Ok(offset) = u16::try_from(offset)
        {
            *slot = offset;
            self.stored = self.stored.wrapping_add(1);
        }
        self.count = self.count.saturating_add(1);
    }

    /// How many data elements follow the tag.
    pub(crate) fn count(&self) -> usize {
        self.count as usize
    }

    /// The raw text of element `e` of `text` (the whole segment), release
    /// characters still in it. `release` is the release character if the
    /// segment holds one.
    #[inline(always)]
    pub(crate) fn raw<'a>(
        &self,
        text: &'a str,
        e: usize,
        separator: u8,
        release: Option<u8>,
    ) -> Option<&'a str> {
        let stored = usize::from(self.stored);
        // The common case first: both ends of the element are kept.
        if e + 1 < stored {
            return text.get(usize::from(self.at[e]) + 1..usize::from(self.at[e + 1]));
        }
        if e >= self.count() {
            return None;
        }
        if e + 1 == stored && stored == self.count() {
            return text.get(usize::from(self.at[e]) + 1..);
        }
        let last = stored.checked_sub(1)?;
        let mut from = usize::from(self.at[e.min(last)]) + 1;
        for _ in last..e {
            from = next_separator(text, from, separator, release) + 1;
        }
        let to = if e + 1 < stored {
            usize::from(self.at[e + 1])
        } else if e + 1 == self.count() {
            text.len()
        } else {
            next_separator(text, from, separator, release)
        };
        text.get(from..to)
    }
}

/// The offset of the first `separator` in `text` at or after `from` that
/// is not released, or the length of `text`.
fn next_separator(text: &str, from: usize, separator: u8, release: Option<u8>) -> usize {
    let bytes = text.as_bytes();
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        if Some(b) == release {
            i += 2;
            continue;
        }
        if b == separator {
            return i;
        }
        i += 1;
    }
    bytes.len()
}

/// Part `n` (from 0) of `text` split at `separator`, for text without
/// release characters: a search for separators and nothing else, as most
/// values are read.
pub(crate) fn nth_part(text: &str, separator: u8, n: usize) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut from = 0;
    for _ in 0..n {
        from += bytes.get(from..)?.iter().position(|&b| b == separator)? + 1;
    }
    let rest = bytes.get(from..)?;
    let to = from
        + rest
            .iter()
            .position(|&b| b == separator)
            .unwrap_or(rest.len());
    text.get(from..to)
}

/// Splits `text` at `separator`, leaving released characters in place.
pub(crate) fn split(text: &str, separator: u8, release: Option<u8>) -> Split<'_> {
    Split {
        text,
        from: 0,
        separator,
        release,
        done: false,
    }
}

/// The parts of a text between separators; see [`split`].
pub(crate) struct Split<'a> {
    text: &'a str,
    from: usize,
    separator: u8,
    release: Option<u8>,
    done: bool,
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.done {
            return None;
        }
        let at = next_separator(self.text, self.from, self.separator, self.release);
        let from = self.from.min(self.text.len());
        if at >= self.text.len() {
            self.done = true;
            return self.text.get(from..);
        }
        self.from = at + 1;
        self.text.get(from..at)
    }
}

/// A segment as scanned: its whole text (tag and data, no terminator),
/// where its elements are, and where it starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scanned<'a> {
    pub text: &'a str,
    pub tag: &'a str,
    pub elements: Elements,
    pub released: bool,
    pub position: Position,
}

/// Why a segment could not be scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fault<E> {
    /// The input ends inside the segment.
    Unterminated,
    /// The input ends right after a release character.
    DanglingRelease,
    /// The segment is not valid UTF-8.
    NotUtf8,
    /// The tag is not one; the format says why.
    Tag(E),
}

/// Reads the segments of a byte slice one after another; see the module
/// documentation.
#[derive(Debug, Clone)]
pub(crate) struct Scanner<'a> {
    input: &'a [u8],
    at: usize,
    base: usize,
    line: usize,
    count: usize,
    separators: Separators,
    classes: [u8; 256],
    specials: Specials,
    /// A stretch of the input checked to be UTF-8, starting at `text_start`.
    text: &'a str,
    text_start: usize,
    /// How many bytes to check for UTF-8 at once.
    window: usize,
}

/// How many bytes the scanner checks for UTF-8 at once: one check for many
/// short segments costs less than one per segment.
const UTF8_WINDOW: usize = 8 * 1024;

/// The least a message reader checks at once, before it has seen a message.
const MIN_UTF8_WINDOW: usize = 512;

impl<'a> Scanner<'a> {
    /// Reads `input`, a part of an interchange: segments are numbered after
    /// `start.segment`, lines counted from `start.line` and offsets from
    /// `start.offset`.
    pub(crate) fn new(input: &'a [u8], separators: Separators, start: Position) -> Scanner<'a> {
        Scanner {
            input,
            at: 0,
            base: start.offset,
            line: start.line.max(1),
            count: start.segment,
            separators,
            classes: classes(separators),
            specials: Specials::new(separators),
            text: "",
            text_start: 0,
            window: UTF8_WINDOW,
        }
    }

    /// `input[start..end]` as text, if it is UTF-8. `start` and `end` are
    /// at segment boundaries (ASCII delimiters), so a slice of a checked
    /// stretch that covers them is whole characters.
    #[inline]
    fn utf8(&mut self, start: usize, end: usize) -> Option<&'a str> {
        // Nearly every segment lies in the stretch checked already.
        if let (Some(from), Some(to)) = (
            start.checked_sub(self.text_start),
            end.checked_sub(self.text_start),
        ) && to <= self.text.len()
        {
            return self.text.get(from..to);
        }
        self.check_utf8(start, end)
    }

    /// Checks a new stretch from `start` for [`utf8`](Self::utf8).
    #[inline(never)]
    fn check_utf8(&mut self, start: usize, end: usize) -> Option<&'a str> {
        let to = self.input.len().min(start + (end - start).max(self.window));
        let window = self.input.get(start..to)?;
        self.text = match std::str::from_utf8(window) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&window[..e.valid_up_to()]).unwrap_or_default(),
        };
        self.text_start = start;
        self.text.get(..end - start)
    }

    /// Moves the cursor to `at` of the input, counting the lines skipped.
    pub(crate) fn skip_to(&mut self, at: usize) {
        let skipped = self.input.get(self.at..at).unwrap_or_default();
        self.line += skipped.iter().filter(|&&b| b == b'\n').count();
        self.at = at;
    }

    /// Moves the cursor to `at` of the input without counting lines.
    pub(crate) fn jump(&mut self, at: usize) {
        self.at = at;
    }

    /// Where the next segment would start (its number is the one it would get).
    pub(crate) fn position(&self) -> Position {
        self.position_at(self.at)
    }

    fn position_at(&self, offset: usize) -> Position {
        Position {
            segment: self.count + 1,
            line: self.line,
            offset: self.base + offset,
        }
    }

    /// Skips the breaks before the next segment, counting their lines, in
    /// one pass (most segments have one line feed before them, or none).
    #[inline]
    fn skip_breaks(&mut self) -> usize {
        let breaks = self.separators.breaks;
        let mut at = self.at;
        while let Some(&b) = self.input.get(at) {
            if !breaks.contains(b) {
                break;
            }
            self.line += usize::from(b == b'\n');
            at += 1;
        }
        self.at = at;
        at
    }

    /// The next segment, `None` at the end of the input, or why the next
    /// segment cannot be read and where it starts. `tag` checks a segment's
    /// text and returns the length of its tag; it is also given where the
    /// first element separator is (the text's length if there is none, or
    /// if it lies too far in to be noted). On a fault the cursor stays
    /// at the start of the faulty segment.
    pub(crate) fn read<E>(
        &mut self,
        tag: impl FnOnce(&'a str, usize) -> Result<usize, E>,
    ) -> Result<Option<Scanned<'a>>, (Position, Fault<E>)> {
        let start = self.skip_breaks();
        if start >= self.input.len() {
            return Ok(None);
        }
        let position = self.position_at(start);
        let input = self.input;
        let mut elements = Elements::default();
        let mut released = false;
        let mut lines = 0;
        let mut i = start;
        let end = loop {
            // Eight bytes at a time while there are eight: element
            // separators are noted from a bit mask, without a branch per
            // byte; the loop stops at a terminator, release character or
            // line feed and leaves it to the byte-by-byte step below.
            if let Some(word) = input.get(i..).and_then(|rest| rest.first_chunk::<8>()) {
                let word = u64::from_le_bytes(*word);
                let (separators, stops) = self.specials.find(word);
                let before_stop = match stops {
                    0 => u64::MAX,
                    _ => (stops & stops.wrapping_neg()) - 1,
                };
                let mut found = separators & before_stop;
                while found != 0 {
                    elements.push(i + (found.trailing_zeros() / 8) as usize - start);
                    found &= found - 1;
                }
                if stops == 0 {
                    i += 8;
                    continue;
                }
                i += (stops.trailing_zeros() / 8) as usize;
            }
            let Some(&b) = input.get(i) else {
                return Err((position, Fault::Unterminated));
            };
            let class = self.classes[usize::from(b)];
            if class == 0 {
                i += 1;
                continue;
            }
            if class & NEWLINE != 0 {
                lines += 1;
            }
            if class & SEGMENT != 0 {
                break i;
            }
            if class & RELEASE != 0 {
                released = true;
                match input.get(i + 1) {
                    None => return Err((position, Fault::DanglingRelease)),
                    Some(b'\n') => lines += 1,
                    Some(_) => {}
                }
                i += 2;
                continue;
            }
            if class & ELEMENT != 0 {
                elements.push(i - start);
            }
            i += 1;
        };
        let text = self.utf8(start, end).ok_or((position, Fault::NotUtf8))?;
        // The tag ends at the first element separator, or with the segment.
        let tag_end = match elements.stored {
            0 => text.len(),
            _ => usize::from(elements.at[0]),
        };
        let tag_length = tag(text, tag_end).map_err(|e| (position, Fault::Tag(e)))?;
        self.at = end + 1;
        self.line += lines;
        self.count += 1;
        Ok(Some(Scanned {
            text,
            tag: text.get(..tag_length).unwrap_or_default(),
            elements,
            released,
            position,
        }))
    }
}

/// Where the segment that starts at `from` ends (the index just past its
/// terminator), or `None` if `input` ends first. Released terminators are
/// skipped.
pub(crate) fn segment_end(input: &[u8], from: usize, separators: Separators) -> Option<usize> {
    let mut i = from;
    while let Some(&b) = input.get(i) {
        if b == separators.segment {
            return Some(i + 1);
        }
        i += if Some(b) == separators.release { 2 } else { 1 };
    }
    None
}

/// The bytes of a streaming decoder not read yet, and where they start in
/// the interchange.
#[derive(Debug)]
pub(crate) struct Buffer {
    pub bytes: Vec<u8>,
    /// Where reading goes on in `bytes`.
    pub at: usize,
    /// Offset of `bytes[0]` in the interchange.
    pub base: usize,
    /// Line of `bytes[at]`.
    pub line: usize,
    /// Length of the last message read, to size the next one's UTF-8 checks.
    last_message: usize,
    breaks: Breaks,
}

impl Buffer {
    pub(crate) fn new(breaks: Breaks) -> Buffer {
        Buffer {
            bytes: Vec::new(),
            at: 0,
            base: 0,
            line: 1,
            last_message: 0,
            breaks,
        }
    }

    /// Drops what was read and appends `chunk`.
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        if self.at > 0 {
            self.bytes.drain(..self.at);
            self.base += self.at;
            self.at = 0;
        }
        self.bytes.extend_from_slice(chunk);
    }

    /// Offset of the next byte that is not a break, if any.
    pub(crate) fn rest_start(&self) -> Option<usize> {
        let start = self.breaks.skip(&self.bytes, self.at);
        (start < self.bytes.len()).then_some(start)
    }

    /// The line the next segment starts on.
    pub(crate) fn line_of_next(&self) -> usize {
        let start = self.rest_start().unwrap_or(self.at);
        self.line
            + self
                .bytes
                .get(self.at..start)
                .unwrap_or_default()
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
    }

    /// Moves the cursor to `end`, past a message read up to `line`.
    pub(crate) fn advance(&mut self, end: usize, line: usize) {
        self.last_message = end.saturating_sub(self.at);
        self.at = end;
        self.line = line;
    }

    /// Where the cursor is, as the position of segment `segments + 1`.
    pub(crate) fn position(&self, segments: usize) -> Position {
        Position {
            segment: segments + 1,
            line: self.line,
            offset: self.base + self.at,
        }
    }

    /// Reads the bytes from the cursor up to `end` as segments numbered
    /// after `segment_base` with `read`, then moves the cursor to `end`.
    pub(crate) fn take<T>(
        &mut self,
        end: usize,
        segment_base: usize,
        separators: Separators,
        read: impl for<'s> FnOnce(&mut Scanner<'s>) -> T,
    ) -> T {
        let start = Position {
            segment: segment_base,
            line: self.line,
            offset: self.base + self.at,
        };
        let at = self.at;
        self.at = end;
        let mut scanner = Scanner::new(
            self.bytes.get(at..end).unwrap_or_default(),
            separators,
            start,
        );
        let result = read(&mut scanner);
        self.line = scanner.position().line;
        result
    }
}

/// How a message is bounded: the tag of its trailer, the tags that start
/// something else (and so end a message that lacks its trailer), and the
/// format's look at a tag before its segment is read. Tags are [`code`]s:
/// this check runs once per segment, and comparing numbers spares a
/// `memcmp` call per tag.
pub(crate) struct Bounds<'t> {
    pub trailer: u32,
    pub others: &'t [u32],
    pub tag_at: TagAt,
}

/// A format's look at the tag of the segment at an offset of the input,
/// before the segment is read, as a [`code_of`] its bytes (`None` if the
/// input does not reach it yet).
pub(crate) type TagAt = fn(&[u8], usize, Separators) -> Option<u32>;

/// A segment whose tag is known as a [`code`].
pub(crate) trait Tagged {
    /// The tag as a [`code`].
    fn key(&self) -> u32;
}

/// How one message read by [`read_message`] ended; its segments are in
/// the vector given to it.
pub(crate) struct Message<E> {
    /// The syntax error that stopped reading, if any.
    pub error: Option<E>,
    /// How many segments were read, the faulty one included.
    pub count: usize,
    /// Offset just past the message in the buffer.
    pub end: usize,
    /// Whether it ends with its trailer.
    pub has_trailer: bool,
    /// The line where reading stopped.
    pub line: usize,
}

/// Reads the message that starts at the cursor of `buffer` into
/// `segments` (emptied first: the segments read well, from the header on),
/// finding where it ends as its segments are read: at its trailer, before
/// the next tag of `bounds.others`, or — only when `at_end` — at the end of
/// the input after at least one whole segment. `None` when more input is
/// needed.
///
/// `next` reads one segment with a scanner. After a syntax error the
/// rest of the message is only looked through for its end, as it would
/// have been before reading it.
pub(crate) fn read_message<'b, S: Tagged, E>(
    buffer: &'b Buffer,
    separators: Separators,
    at_end: bool,
    bounds: &Bounds<'_>,
    segments: &mut Vec<S>,
    mut next: impl FnMut(&mut Scanner<'b>) -> Option<Result<S, E>>,
) -> Option<Message<E>> {
    segments.clear();
    let tag_at = bounds.tag_at;
    let bytes = &buffer.bytes[..];
    let start = Position {
        segment: 0,
        line: buffer.line,
        offset: buffer.base + buffer.at,
    };
    // Check UTF-8 in stretches about as long as the last message: a fixed
    // window from each message's start would check the bytes after a short
    // message again with the next one.
    let window = (buffer.last_message + buffer.last_message / 4).max(MIN_UTF8_WINDOW);
    let mut scanner = Scanner::new(bytes, separators, start);
    scanner.at = buffer.at;
    scanner.base = buffer.base;
    scanner.window = window;
    let ends =
        |from: usize, first: bool| message_end(bytes, from, first, at_end, bounds, separators);
    if separators.breaks_overlap() {
        let (end, has_trailer) = ends(buffer.at, true)?;
        let mut scanner = Scanner::new(bytes.get(..end).unwrap_or_default(), separators, start);
        scanner.at = buffer.at;
        scanner.base = buffer.base;
        scanner.window = window;
        let mut count = 0;
        let mut error = None;
        while let Some(s) = next(&mut scanner) {
            count += 1;
            match s {
                Ok(s) => segments.push(s),
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        return Some(Message {
            error,
            count,
            end,
            has_trailer,
            line: scanner.line,
        });
    }
    let mut first = true;
    // Where a message is cut short by the start of something else, before
    // that segment: the segment is read, and if its tag says so, given
    // back (the cursor and line go back to where it started).
    let cut = |count: usize, end: usize, line: usize| Message {
        count,
        error: None,
        end,
        has_trailer: false,
        line,
    };
    loop {
        let from = scanner.at;
        let line = scanner.line;
        match next(&mut scanner) {
            Some(Ok(s)) => {
                let tag = s.key();
                if !first && bounds.others.contains(&tag) {
                    return Some(cut(segments.len(), from, line));
                }
                segments.push(s);
                if !first && tag == bounds.trailer {
                    return Some(Message {
                        count: segments.len(),
                        error: None,
                        end: scanner.at,
                        has_trailer: true,
                        line: scanner.line,
                    });
                }
                first = false;
            }
            None => {
                return (at_end && !first).then(|| Message {
                    count: segments.len(),
                    error: None,
                    end: bytes.len(),
                    has_trailer: false,
                    line: scanner.line,
                });
            }
            // A segment that does not read may still start something else
            // by its first bytes: then it belongs to that, not to this
            // message.
            Some(Err(_))
                if !first
                    && tag_at(bytes, from, separators)
                        .is_some_and(|t| bounds.others.contains(&t)) =>
            {
                return Some(cut(segments.len(), from, line));
            }
            Some(Err(e)) => {
                let (end, has_trailer) = ends(from, first)?;
                return Some(Message {
                    count: segments.len() + 1,
                    error: Some(e),
                    end,
                    has_trailer,
                    line: scanner.line,
                });
            }
        }
    }
}

/// Where the message whose segment at `from` is read next ends, looking
/// only at tags and terminators; `first` when that segment is the header.
fn message_end(
    bytes: &[u8],
    mut from: usize,
    mut first: bool,
    at_end: bool,
    bounds: &Bounds<'_>,
    separators: Separators,
) -> Option<(usize, bool)> {
    let tag_at = bounds.tag_at;
    let started = from;
    let started_first = first;
    loop {
        let tag = tag_at(bytes, from, separators);
        if !first && tag.is_some_and(|t| bounds.others.contains(&t)) {
            return Some((from, false));
        }
        let Some(end) = segment_end(bytes, from, separators) else {
            let whole_segment = from > started || !started_first;
            return (at_end && whole_segment).then_some((bytes.len(), false));
        };
        if !first && tag == Some(bounds.trailer) {
            return Some((end, true));
        }
        first = false;
        from = end;
    }
}

/// An empty vector of another element type that keeps the allocation of
/// `v` (emptied first). A decoder reads every message into one vector of
/// segments this way, although each message's segments borrow other bytes
/// of its buffer: between messages the vector is kept as segments of
/// `'static` text, empty. The standard library collects a mapped vector
/// iterator in place when the element layouts agree, as they do for two
/// lifetimes of one type; the closure never runs, the iterator is empty.
pub(crate) fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter()
        .map(|_| -> U { unreachable!("the vector is empty") })
        .collect()
}

/// A string of at most three bytes as a number, for comparing tags and
/// codes without comparing strings (a call to `memcmp` for a few bytes costs
/// more than the comparison): its bytes and its length packed; `u32::MAX`
/// for anything longer, which no code of three bytes or less equals.
pub(crate) const fn code(text: &str) -> u32 {
    code_of(text.as_bytes())
}

/// [`code`] of bytes that need not be text (a tag looked at before its
/// segment is checked).
pub(crate) const fn code_of(b: &[u8]) -> u32 {
    match b.len() {
        0 => 0,
        1 => (1 << 24) | b[0] as u32,
        2 => (2 << 24) | b[0] as u32 | (b[1] as u32) << 8,
        3 => (3 << 24) | b[0] as u32 | (b[1] as u32) << 8 | (b[2] as u32) << 16,
        _ => u32::MAX,
    }
}

/// [`code`] of each of `texts`, for tables built at compile time.
pub(crate) const fn codes<const N: usize>(texts: [&str; N]) -> [u32; N] {
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        out[i] = code(texts[i]);
        i += 1;
    }
    out
}

/// A set of tag [`code`]s, built at compile time and looked up in a few
/// instructions (an open-addressed table): the allowed-tag check runs once
/// for every segment of every message.
pub(crate) struct TagSet {
    slots: [u32; TAG_SLOTS],
    /// For the member in the same slot, one more than the most data
    /// elements it may have (`u32::MAX`: no limit); 0 for an empty slot.
    bounds: [u32; TAG_SLOTS],
}

const TAG_SLOTS: usize = 128;

/// The first slot of `code` in a [`TagSet`]: a multiplicative hash.
const fn tag_slot(code: u32) -> usize {
    (code.wrapping_mul(0x9e37_79b1) >> 25) as usize
}

impl TagSet {
    /// The set of `codes` (at most half as many as the table has slots, so
    /// that every probe ends soon; 0, the empty tag, is never a member).
    pub(crate) const fn new(codes: &[u32]) -> TagSet {
        assert!(codes.len() <= TAG_SLOTS / 2, "a tag set of at most 64 tags");
        let mut slots = [0u32; TAG_SLOTS];
        let mut bounds = [0u32; TAG_SLOTS];
        let mut i = 0;
        while i < codes.len() {
            let code = codes[i];
            assert!(code != 0, "the empty tag cannot be a member");
            let mut at = tag_slot(code);
            while slots[at] != 0 && slots[at] != code {
                at = (at + 1) % TAG_SLOTS;
            }
            slots[at] = code;
            bounds[at] = u32::MAX;
            i += 1;
        }
        TagSet { slots, bounds }
    }

    /// This set with the most data elements some tags may have, as (tag
    /// code, count); members without one have no limit, and limits of
    /// tags that are not members are left out.
    pub(crate) const fn with_limits(mut self, limits: &[(u32, u32)]) -> TagSet {
        let mut i = 0;
        while i < limits.len() {
            let (code, limit) = limits[i];
            let mut at = tag_slot(code);
            while self.slots[at] != 0 && self.slots[at] != code {
                at = (at + 1) % TAG_SLOTS;
            }
            if self.slots[at] == code {
                self.bounds[at] = limit + 1;
            }
            i += 1;
        }
        self
    }

    /// Whether `code` is in the set.
    pub(crate) fn contains(&self, code: u32) -> bool {
        let mut at = tag_slot(code);
        loop {
            let slot = self.slots[at];
            if slot == code {
                return code != 0;
            }
            if slot == 0 {
                return false;
            }
            at = (at + 1) % TAG_SLOTS;
        }
    }

    /// For a member, one more than the most data elements it may have
    /// (`u32::MAX` when it has no limit); 0 when `code` is not in the set.
    /// A segment fits when its element count is below it: membership and
    /// the limit in one probe and one comparison.
    #[inline]
    pub(crate) fn bound(&self, code: u32) -> u32 {
        let mut at = tag_slot(code);
        loop {
            let slot = self.slots[at];
            if slot == code {
                return self.bounds[at];
            }
            if slot == 0 {
                return 0;
            }
            at = (at + 1) % TAG_SLOTS;
        }
    }
}

/// Whether `b` may stand in a segment tag: an upper-case letter or a digit.
pub(crate) fn tag_byte(b: u8) -> bool {
    b.wrapping_sub(b'A') < 26 || b.wrapping_sub(b'0') < 10
}

/// Whether `value` is one of `list` (short codes).
pub(crate) fn one_of(value: &str, list: &[&str]) -> bool {
    match code(value) {
        u32::MAX => list.contains(&value),
        short => list.iter().any(|c| code(c) == short),
    }
}

/// The entries of `numbers` whose number came earlier in the list, in
/// order (line numbers used twice). Sorting a copy first makes the common
/// case — no number repeated — cheap; only then are entries looked up one
/// by one.
pub(crate) fn repeated<T: Copy>(numbers: &[(u32, T)]) -> Vec<(u32, T)> {
    // Lines numbered in rising order, as senders number them, repeat none:
    // answered without the sorted copy (an allocation per message).
    if numbers.windows(2).all(|w| w[0].0 < w[1].0) {
        return Vec::new();
    }
    let mut sorted: Vec<u32> = numbers.iter().map(|&(n, _)| n).collect();
    sorted.sort_unstable();
    if !sorted.windows(2).any(|w| w[0] == w[1]) {
        return Vec::new();
    }
    let mut seen = HashSet::with_capacity(numbers.len());
    numbers
        .iter()
        .filter(|(n, _)| !seen.insert(*n))
        .copied()
        .collect()
}

/// The references seen in an interchange, to tell when one comes twice.
///
/// References that are numbers of at most 19 digits are kept as ranges of
/// consecutive values, one set of ranges per number of digits (so `7` and
/// `007` stay different references). References numbered 1, 2, 3, … as
/// senders do take one range whatever their number; memory grows only
/// with the gaps between runs of consecutive numbers and with references
/// that are not numbers, which are kept one by one.
#[derive(Debug, Default)]
pub(crate) struct References {
    /// (digits, first) → last, ranges that neither overlap nor touch.
    ranges: BTreeMap<(u8, u64), u64>,
    other: HashSet<String>,
}

impl References {
    /// Notes `reference`; false if it was seen before.
    pub(crate) fn insert(&mut self, reference: &str) -> bool {
        match number(reference) {
            Some((digits, value)) => self.insert_number(digits, value),
            None => {
                if self.other.contains(reference) {
                    return false;
                }
                self.other.insert(reference.to_string())
            }
        }
    }

    fn insert_number(&mut self, digits: u8, value: u64) -> bool {
        let below = self
            .ranges
            .range(..=(digits, value))
            .next_back()
            .filter(|((d, _), _)| *d == digits)
            .map(|(&(_, first), &last)| (first, last));
        if let Some((_, last)) = below
            && last >= value
        {
            return false;
        }
        let above = value
            .checked_add(1)
            .and_then(|next| self.ranges.get(&(digits, next)).map(|&last| (next, last)));
        let joins_below = below.filter(|&(_, last)| last.checked_add(1) == Some(value));
        match (joins_below, above) {
            (Some((first, _)), Some((next, last))) => {
                self.ranges.remove(&(digits, next));
                self.ranges.insert((digits, first), last);
            }
            (Some((first, _)), None) => {
                self.ranges.insert((digits, first), value);
            }
            (None, Some((next, last))) => {
                self.ranges.remove(&(digits, next));
                self.ranges.insert((digits, value), last);
            }
            (None, None) => {
                self.ranges.insert((digits, value), value);
            }
        }
        true
    }

    /// Forgets every reference.
    pub(crate) fn clear(&mut self) {
        self.ranges.clear();
        self.other.clear();
    }

    /// How many entries are kept: ranges plus references kept one by one.
    #[cfg(test)]
    fn entries(&self) -> usize {
        self.ranges.len() + self.other.len()
    }
}

/// A reference of 1 to 19 ASCII digits as (digits, value).
fn number(reference: &str) -> Option<(u8, u64)> {
    let digits = u8::try_from(reference.len())
        .ok()
        .filter(|d| (1..=19).contains(d))?;
    if !reference.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits, reference.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EDIFACT: Separators = Separators {
        element: b'+',
        segment: b'\'',
        release: Some(b'?'),
        breaks: Breaks::Blanks,
    };

    fn scan(input: &str) -> Vec<Scanned<'_>> {
        let mut scanner = Scanner::new(input.as_bytes(), EDIFACT, Position::default());
        let mut out = Vec::new();
        while let Some(s) = scanner
            .read(|text, _| Ok::<_, ()>(text.len().min(3)))
            .expect("scans")
        {
            out.push(s);
        }
        out
    }

    fn elements<'a>(s: &Scanned<'a>) -> Vec<&'a str> {
        let release = s.released.then_some(b'?');
        (0..s.elements.count())
            .map(|e| s.elements.raw(s.text, e, b'+', release).expect("in range"))
            .collect()
    }

    #[test]
    fn a_recycled_vector_keeps_its_allocation_across_lifetimes() {
        let mut kept: Vec<&'static str> = Vec::with_capacity(100);
        kept.push("static");
        let text = String::from("borrowed");
        let mut borrowed: Vec<&str> = recycle(kept);
        assert!(borrowed.is_empty());
        assert!(borrowed.capacity() >= 100, "no new allocation");
        borrowed.push(&text);
        let back: Vec<&'static str> = recycle(borrowed);
        assert!(back.is_empty() && back.capacity() >= 100);
    }

    #[test]
    fn zero_bytes_marks_exactly_the_zero_bytes() {
        assert_eq!(
            zero_bytes(u64::from_le_bytes(*b"ab\0c\0\0d\x80")),
            0x0000_8080_0080_0000
        );
        assert_eq!(zero_bytes(0), 0x8080_8080_8080_8080);
        assert_eq!(zero_bytes(u64::MAX), 0);
        // A zero next to 0x01 or 0x80 bytes: no borrow or carry leaks over.
        assert_eq!(
            zero_bytes(u64::from_le_bytes([1, 0, 0x80, 0, 1, 1, 0, 0xff])),
            0x0080_0000_8000_8000
        );
    }

    #[test]
    fn a_tag_set_holds_exactly_its_tags() {
        const TAGS: [&str; 48] = [
            "BEG", "CUR", "REF", "PER", "TAX", "FOB", "CTP", "PAM", "CSH", "TC2", "SAC", "ITD",
            "DIS", "INC", "DTM", "LDT", "LIN", "SI", "PID", "MEA", "PWK", "PKG", "TD1", "TD5",
            "TD3", "TD4", "MAN", "PCT", "CTB", "TXI", "N9", "MSG", "NTE", "N1", "N2", "N3", "N4",
            "NX2", "PO1", "PO3", "PO4", "SDQ", "IT8", "SCH", "QTY", "SLN", "AMT", "CTT",
        ];
        const SET: TagSet = TagSet::new(&codes(TAGS));
        let members: HashSet<u32> = codes(TAGS).into_iter().collect();
        // Every tag of one to three upper-case letters and digits, and a few
        // that are not tags at all.
        let alphabet: Vec<u8> = (b'A'..=b'Z').chain(b'0'..=b'9').collect();
        let mut tried = 0;
        for len in 1..=3 {
            let mut index = vec![0usize; len];
            loop {
                let tag: Vec<u8> = index.iter().map(|&i| alphabet[i]).collect();
                let code = code_of(&tag);
                assert_eq!(SET.contains(code), members.contains(&code), "{tag:?}");
                tried += 1;
                let Some(pos) = index.iter().rposition(|&i| i + 1 < alphabet.len()) else {
                    break;
                };
                index[pos] += 1;
                index[pos + 1..].iter_mut().for_each(|i| *i = 0);
            }
        }
        assert!(tried > 46_000);
        assert!(!SET.contains(0) && !SET.contains(u32::MAX) && !SET.contains(code("LINE")));
        assert!(TAGS.iter().all(|t| SET.contains(code(t))));
    }

    #[test]
    fn first_zero_finds_the_lowest_zero_byte() {
        let lowest = |m: u64| m & m.wrapping_neg();
        // Every pair of byte values at every pair of places of a word,
        // over a background of bytes that are never zero.
        let values = [0u8, 1, 2, 0x7f, 0x80, 0x81, 0xfe, 0xff];
        for background in [0x01u8, 0x80, 0xff, b'a'] {
            for i in 0..8 {
                for j in 0..8 {
                    for &a in &values {
                        for &b in &values {
                            let mut bytes = [background; 8];
                            bytes[i] = a;
                            bytes[j] = b;
                            let v = u64::from_le_bytes(bytes);
                            assert_eq!(lowest(first_zero(v)), lowest(zero_bytes(v)), "{bytes:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn separators_are_found_wherever_they_fall_in_a_word() {
        // Elements of every length from 0 to 17, so that separators, line
        // feeds and the terminator fall on every offset of an eight-byte word.
        for lead in 0..9 {
            let values: Vec<String> = (0..18).map(|n| "x".repeat(n)).collect();
            let text = format!(
                "{}FTX+{}+a?+b\nc'LIN+1'",
                " ".repeat(lead),
                values.join("+")
            );
            let segments = scan(&text);
            let mut expected: Vec<&str> = values.iter().map(String::as_str).collect();
            expected.push("a?+b\nc");
            assert_eq!(elements(&segments[0]), expected, "lead {lead}");
            assert_eq!(segments[1].position.line, 2);
            assert_eq!(elements(&segments[1]), ["1"]);
        }
    }

    #[test]
    fn elements_are_split_once_and_read_as_slices() {
        let segments = scan("LIN+1++4901234567894:EN'");
        assert_eq!(segments[0].tag, "LIN");
        assert_eq!(elements(&segments[0]), ["1", "", "4901234567894:EN"]);
        assert_eq!(
            segments[0].elements.raw(segments[0].text, 3, b'+', None),
            None
        );
    }

    #[test]
    fn a_released_separator_is_data_and_a_released_release_is_not_a_release() {
        let segments = scan("FTX+AAI+?+1??+x?'y'");
        assert!(segments[0].released);
        assert_eq!(elements(&segments[0]), ["AAI", "?+1??", "x?'y"]);
    }

    #[test]
    fn empty_and_trailing_elements_are_counted() {
        let segments = scan("DTM++++'UNS'");
        assert_eq!(elements(&segments[0]), ["", "", "", ""]);
        assert_eq!(segments[1].elements.count(), 0);
    }

    #[test]
    fn elements_past_the_inline_offsets_are_found_by_scanning_on() {
        let values: Vec<String> = (0..45).map(|n| format!("v{n}")).collect();
        let text = format!("PIA+{}?+x'", values.join("+"));
        let segments = scan(&text);
        let read = elements(&segments[0]);
        assert_eq!(read.len(), 45);
        assert_eq!(read[INLINE - 1], format!("v{}", INLINE - 1));
        assert_eq!(read[INLINE + 3], format!("v{}", INLINE + 3));
        assert_eq!(read[44], "v44?+x");
    }

    #[test]
    fn a_segment_longer_than_the_offsets_reach_keeps_its_elements() {
        let long = "x".repeat(70_000);
        let text = format!("FTX+{long}+tail'");
        let segments = scan(&text);
        assert_eq!(elements(&segments[0]), [long.as_str(), "tail"]);
    }

    #[test]
    fn lines_are_counted_inside_and_between_segments() {
        let segments = scan("UNH+1'\r\nFTX+a?\nb\n+c'\nUNT+2+1'");
        assert_eq!(segments[1].position.line, 2);
        assert_eq!(segments[2].position.line, 5);
    }

    #[test]
    fn faults_say_where_the_segment_starts() {
        let mut scanner = Scanner::new(b"UNH+1'BGM+2", EDIFACT, Position::default());
        assert!(scanner.read(|_, _| Ok::<_, ()>(3)).is_ok());
        let (at, fault) = scanner
            .read(|_, _| Ok::<_, ()>(3))
            .expect_err("unterminated");
        assert_eq!((at.segment, at.offset, fault), (2, 6, Fault::Unterminated));
        assert_eq!(
            scanner.position().offset,
            6,
            "the cursor stays at the faulty segment"
        );
        let mut scanner = Scanner::new(b"BGM+2?", EDIFACT, Position::default());
        let (_, fault) = scanner.read(|_, _| Ok::<_, ()>(3)).expect_err("dangling");
        assert_eq!(fault, Fault::DanglingRelease);
        let mut scanner = Scanner::new(b"bgm+2'", EDIFACT, Position::default());
        let (_, fault) = scanner.read(|_, _| Err("lower case")).expect_err("bad tag");
        assert_eq!(fault, Fault::Tag("lower case"));
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_in_its_own_segment_only() {
        let mut input = b"UNH+1'FTX+\xe3\x81\x82'FTX+\xe3\x81'UNT+2+1'".to_vec();
        input.extend(
            b"FTX+"
                .iter()
                .chain(&[b'x'; UTF8_WINDOW])
                .chain(b"\xe3\x81\x82'"),
        );
        let mut scanner = Scanner::new(&input, EDIFACT, Position::default());
        let mut read = || scanner.read(|_, _| Ok::<_, ()>(3));
        assert!(read().is_ok());
        let ftx = read().expect("UTF-8").expect("a segment");
        assert_eq!(ftx.text, "FTX+\u{3042}");
        let (at, fault) = read().expect_err("a cut character");
        assert_eq!((at.segment, fault), (3, Fault::NotUtf8));
        let mut scanner = Scanner::new(&input, EDIFACT, Position::default());
        scanner.jump(input.len() - UTF8_WINDOW - 8);
        let long = scanner
            .read(|_, _| Ok::<_, ()>(3))
            .expect("UTF-8")
            .expect("a segment");
        assert!(
            long.text.ends_with("x\u{3042}"),
            "a segment longer than the window"
        );
    }

    #[test]
    fn split_keeps_released_separators_and_empty_parts() {
        let parts: Vec<&str> = split("a?:b::c:", b':', Some(b'?')).collect();
        assert_eq!(parts, ["a?:b", "", "c", ""]);
        let parts: Vec<&str> = split("", b':', None).collect();
        assert_eq!(parts, [""]);
    }

    #[test]
    fn only_numbers_seen_before_are_repeated_in_their_order() {
        assert!(repeated(&[(1, 'a'), (2, 'b'), (3, 'c')]).is_empty());
        assert_eq!(
            repeated(&[(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd'), (2, 'e')]),
            [(2, 'c'), (1, 'd'), (2, 'e')]
        );
    }

    #[test]
    fn codes_tell_short_strings_apart_and_refuse_long_ones() {
        assert_eq!(code("LIN"), code("LIN"));
        assert_ne!(code("N1"), code("N1\0"), "the length is part of the code");
        assert_ne!(code("EN"), code("NE"));
        assert_eq!(code(""), 0);
        assert_eq!(code("ORDERS"), u32::MAX);
        assert_eq!(codes(["BGM", "UNS"]), [code("BGM"), code("UNS")]);
        assert!(one_of("SA", &["BP", "SA"]));
        assert!(!one_of("SAX", &["SA"]));
        assert!(
            one_of("ORDERS", &["ORDRSP", "ORDERS"]),
            "longer ones as strings"
        );
    }

    #[test]
    fn sequential_references_take_one_range() {
        let mut seen = References::default();
        for n in 1..=10_000u32 {
            assert!(seen.insert(&n.to_string()), "{n} is new");
        }
        assert_eq!(
            seen.entries(),
            5,
            "one range per number of digits: 1-9, 10-99, …, 10000"
        );
        assert!(!seen.insert("5000"), "a reference seen twice");
        let mut padded = References::default();
        for n in 1..=10_000u32 {
            assert!(padded.insert(&format!("{n:09}")));
        }
        assert_eq!(padded.entries(), 1);
    }

    #[test]
    fn ranges_merge_when_a_gap_is_filled_from_either_side() {
        let mut seen = References::default();
        for n in ["1", "3", "5", "2"] {
            assert!(seen.insert(n));
        }
        assert_eq!(seen.entries(), 2, "1-3 and 5");
        assert!(seen.insert("4"));
        assert_eq!(seen.entries(), 1, "1-5");
        for n in ["1", "2", "3", "4", "5"] {
            assert!(!seen.insert(n), "{n} was seen");
        }
        assert!(seen.insert("6"));
        assert!(seen.insert("0"));
        assert_eq!(seen.entries(), 1, "0-6");
    }

    #[test]
    fn leading_zeros_and_other_references_stay_distinct() {
        let mut seen = References::default();
        assert!(seen.insert("7"));
        assert!(seen.insert("007"));
        assert!(seen.insert("A7"));
        assert!(
            seen.insert("99999999999999999999"),
            "twenty digits are kept as text"
        );
        assert!(!seen.insert("007"));
        assert!(!seen.insert("A7"));
        assert!(!seen.insert("99999999999999999999"));
        assert!(seen.insert(&u64::MAX.to_string()[1..]));
        seen.clear();
        assert!(seen.insert("7"));
    }
}
