//! RingBuffer against a plain model: a Vec of everything ever pushed.

use engine::metrics::ring::RingBuffer;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Push(u32),
    Read(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<u32>().prop_map(Op::Push),
        1 => (0u64..400).prop_map(Op::Read),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn read_since_agrees_with_the_model(capacity in 1usize..17, ops in proptest::collection::vec(op(), 0..300)) {
        let mut ring = RingBuffer::new(capacity);
        let mut all: Vec<u32> = Vec::new();
        for op in ops {
            match op {
                Op::Push(v) => {
                    let seq = ring.push(v);
                    prop_assert_eq!(seq, all.len() as u64);
                    all.push(v);
                }
                Op::Read(cursor) => {
                    let next = all.len() as u64;
                    let oldest = next.saturating_sub(capacity as u64);
                    let read = ring.read_since(cursor);
                    prop_assert_eq!(read.next_cursor, next);
                    if cursor > next {
                        prop_assert!(read.reset && !read.gap);
                        prop_assert_eq!(read.first_seq, oldest);
                        prop_assert_eq!(&read.items[..], &all[oldest as usize..]);
                    } else if cursor < oldest {
                        prop_assert!(read.gap && !read.reset);
                        prop_assert_eq!(read.first_seq, oldest);
                        prop_assert_eq!(&read.items[..], &all[oldest as usize..]);
                    } else {
                        prop_assert!(!read.gap && !read.reset);
                        prop_assert_eq!(read.first_seq, cursor);
                        prop_assert_eq!(&read.items[..], &all[cursor as usize..]);
                    }
                }
            }
            prop_assert!(ring.len() <= capacity);
            prop_assert_eq!(ring.len(), all.len().min(capacity));
        }
    }

    #[test]
    fn wrapping_many_times_over_keeps_the_newest(capacity in 1usize..8, laps in 1usize..50) {
        let mut ring = RingBuffer::new(capacity);
        let total = capacity * laps + capacity / 2;
        for i in 0..total {
            ring.push(i);
        }
        let read = ring.read_since(0);
        prop_assert_eq!(read.gap, total > capacity);
        let expect: Vec<usize> = (total.saturating_sub(capacity)..total).collect();
        prop_assert_eq!(read.items, expect);
        prop_assert_eq!(ring.oldest_seq(), total.saturating_sub(capacity) as u64);
    }
}
