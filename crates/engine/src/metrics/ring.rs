//! A fixed-capacity ring with absolute sequence numbers: the n-th value ever
//! pushed has seq n, so a reader's cursor stays meaningful while the ring
//! wraps, and a reader that fell behind learns exactly that it did.

use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub struct RingBuffer<T> {
    items: VecDeque<T>,
    capacity: usize,
    /// Seq the next push will get; `next_seq - items.len()` is the oldest held.
    next_seq: u64,
}

/// What `read_since` found.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadSince<T> {
    pub items: Vec<T>,
    /// Seq of `items[0]` (equal to `next_cursor` when `items` is empty).
    pub first_seq: u64,
    /// Pass this as the cursor of the next read.
    pub next_cursor: u64,
    /// Values between the cursor and the oldest held one were overwritten.
    pub gap: bool,
    /// The cursor was beyond the newest seq (a reader from another history):
    /// everything held is returned, and the reader must start over.
    pub reset: bool,
}

impl<T: Clone> RingBuffer<T> {
    /// # Panics
    /// If `capacity` is 0: a ring that holds nothing is a configuration error
    /// caught at start-up.
    pub fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "ring capacity must be at least 1");
        RingBuffer { items: VecDeque::with_capacity(capacity), capacity, next_seq: 0 }
    }

    /// Stores `value` and returns its seq; the oldest value goes when full.
    pub fn push(&mut self, value: T) -> u64 {
        if self.items.len() == self.capacity {
            self.items.pop_front();
        }
        self.items.push_back(value);
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Seq of the oldest value held (equal to `next_seq` when empty).
    pub fn oldest_seq(&self) -> u64 {
        self.next_seq - self.items.len() as u64
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    pub fn last(&self) -> Option<&T> {
        self.items.back()
    }

    pub fn get(&self, seq: u64) -> Option<&T> {
        let oldest = self.oldest_seq();
        if seq < oldest {
            return None;
        }
        self.items.get((seq - oldest) as usize)
    }

    /// Values with seq >= `cursor`, and what the reader must know about them.
    pub fn read_since(&self, cursor: u64) -> ReadSince<T> {
        self.read_since_with(cursor, |v| v.clone())
    }

    /// Like `read_since`, mapping each value on the way out (no extra copy).
    pub fn read_since_with<U>(&self, cursor: u64, mut map: impl FnMut(&T) -> U) -> ReadSince<U> {
        let oldest = self.oldest_seq();
        let reset = cursor > self.next_seq;
        let gap = !reset && cursor < oldest;
        let start = if reset || gap { oldest } else { cursor };
        let skip = (start - oldest) as usize;
        let items: Vec<U> = self.items.iter().skip(skip).map(&mut map).collect();
        ReadSince { items, first_seq: start, next_cursor: self.next_seq, gap, reset }
    }

    /// Iterates `(seq, value)` from the oldest held.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        let oldest = self.oldest_seq();
        self.items.iter().enumerate().map(move |(i, v)| (oldest + i as u64, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nth_value_pushed_has_seq_n() {
        let mut r = RingBuffer::new(3);
        assert_eq!(r.push('a'), 0);
        assert_eq!(r.push('b'), 1);
        assert_eq!(r.get(1), Some(&'b'));
    }

    #[test]
    fn a_reader_that_fell_behind_a_full_ring_is_told_of_the_gap() {
        let mut r = RingBuffer::new(3);
        for i in 0..10 {
            r.push(i);
        }
        let read = r.read_since(2);
        assert_eq!(read.items, vec![7, 8, 9]);
        assert_eq!(read.first_seq, 7);
        assert_eq!(read.next_cursor, 10);
        assert!(read.gap && !read.reset);
    }

    #[test]
    fn a_cursor_from_the_future_is_answered_with_a_reset() {
        let mut r = RingBuffer::new(4);
        r.push(1);
        let read = r.read_since(99);
        assert!(read.reset && !read.gap);
        assert_eq!(read.items, vec![1]);
        assert_eq!(read.next_cursor, 1);
    }

    #[test]
    fn an_up_to_date_reader_gets_nothing_and_the_same_cursor() {
        let mut r = RingBuffer::new(4);
        r.push(1);
        let read = r.read_since(1);
        assert!(read.items.is_empty() && !read.gap && !read.reset);
        assert_eq!((read.first_seq, read.next_cursor), (1, 1));
    }
}
