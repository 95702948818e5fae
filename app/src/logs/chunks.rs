//! How the log view groups its entries: in `div.log-chunk`s of at most
//! [`CHUNK`] entries, each with `content-visibility: auto`, so the browser
//! lays out and paints only the chunks near the screen, however many lines
//! the view holds. This is the bookkeeping; `live` moves the elements.

use std::collections::VecDeque;

/// Entries per chunk.
pub const CHUNK: usize = 200;

/// The number of entries in each chunk of the view, top to bottom.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Chunks {
    sizes: VecDeque<usize>,
}

/// Where `n` new entries go.
#[derive(Debug, PartialEq, Eq)]
pub struct Placement {
    /// Into the last chunk, which has room for them.
    pub into_last: usize,
    /// Then new chunks of these sizes.
    pub new_chunks: Vec<usize>,
}

/// What leaves the top of the view.
#[derive(Debug, PartialEq, Eq)]
pub struct Removal {
    /// Whole chunks.
    pub chunks: usize,
    /// Then the first entries of the next chunk.
    pub entries: usize,
}

impl Chunks {
    pub fn clear(&mut self) {
        self.sizes.clear();
    }

    pub fn len(&self) -> usize {
        self.sizes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }

    /// Adds `n` entries at the end.
    pub fn append(&mut self, n: usize) -> Placement {
        let room = self.sizes.back().map_or(0, |s| CHUNK - s);
        let into_last = room.min(n);
        if let Some(last) = self.sizes.back_mut() {
            *last += into_last;
        }
        let mut rest = n - into_last;
        let mut new_chunks = Vec::new();
        while rest > 0 {
            let size = rest.min(CHUNK);
            new_chunks.push(size);
            self.sizes.push_back(size);
            rest -= size;
        }
        Placement { into_last, new_chunks }
    }

    /// Takes `n` entries off the top (at most all of them).
    pub fn remove_front(&mut self, mut n: usize) -> Removal {
        let mut chunks = 0;
        while let Some(&size) = self.sizes.front() {
            if size > n {
                break;
            }
            n -= size;
            chunks += 1;
            self.sizes.pop_front();
        }
        let entries = match self.sizes.front_mut() {
            Some(size) => {
                *size -= n;
                n
            }
            None => 0,
        };
        Removal { chunks, entries }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(c: &Chunks) -> Vec<usize> {
        c.sizes.iter().copied().collect()
    }

    #[test]
    fn new_entries_fill_the_last_chunk_then_open_new_ones() {
        let mut c = Chunks::default();
        assert_eq!(c.append(0), Placement { into_last: 0, new_chunks: vec![] });
        assert_eq!(c.append(450), Placement { into_last: 0, new_chunks: vec![200, 200, 50] });
        assert_eq!(c.append(160), Placement { into_last: 150, new_chunks: vec![10] });
        assert_eq!(sizes(&c), [200, 200, 200, 10]);
    }

    #[test]
    fn entries_leave_the_top_as_whole_chunks_then_from_the_next() {
        let mut c = Chunks::default();
        c.append(450);
        assert_eq!(c.remove_front(0), Removal { chunks: 0, entries: 0 });
        assert_eq!(c.remove_front(30), Removal { chunks: 0, entries: 30 });
        assert_eq!(sizes(&c), [170, 200, 50]);
        assert_eq!(c.remove_front(370), Removal { chunks: 2, entries: 0 });
        assert_eq!(c.remove_front(999), Removal { chunks: 1, entries: 0 });
        assert!(c.is_empty());
    }
}
