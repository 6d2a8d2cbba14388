//! A bounded parallel runner on std threads: at most `jobs` items at a time, results in the
//! items' order.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `f` on every item with at most `jobs` threads; the results come back in `items`' order.
/// Each thread takes the next item not yet taken, so a slow item does not hold up the others.
pub fn run_bounded<T, R, F>(items: &[T], jobs: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let threads = jobs.clamp(1, items.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every item was run: a panicking item ends the scope with a panic"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<u32> = (0..50).collect();
        for jobs in [1, 3, 4, 100] {
            let out = run_bounded(&items, jobs, |i| i * 2);
            assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
        assert!(run_bounded(&Vec::<u32>::new(), 4, |i| *i).is_empty());
    }

    #[test]
    fn never_more_than_jobs_at_a_time_and_really_in_parallel() {
        let jobs = 3;
        let items: Vec<usize> = (0..12).collect();
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        // The first `jobs` items wait for each other: if the runner ran fewer than `jobs` at a
        // time, this would never return.
        let barrier = Barrier::new(jobs);
        run_bounded(&items, jobs, |i| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            if *i < jobs {
                barrier.wait();
            }
            std::thread::yield_now();
            running.fetch_sub(1, Ordering::SeqCst);
        });
        assert_eq!(peak.load(Ordering::SeqCst), jobs);
    }
}
