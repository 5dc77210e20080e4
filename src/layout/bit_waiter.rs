//! Waiters announced by one bit of a shared bitmap, each with a `wait` word of
//! its own that says how it waits: broadcast readers (`readers_waiting`, the
//! line's `wait`) and mpsc producers (`producers_waiting`, the entry's `wait`).
//!
//! A bit alone cannot say whether its waiter sleeps on its semaphore (a blocking
//! call, a C peer) or in a futex wait (an asynchronous waiter), and the bitmap
//! is one word for up to 64 waiters. So an asynchronous waiter first stores
//! [`WAITING_WORD`] in its own `wait` word, then sets its bit with Release; the
//! waker swaps the bitmap with Acquire (which makes that `wait` visible), and for
//! each bit it took swaps the waiter's `wait`: [`WAITING_WORD`] is a futex wake
//! of that word, anything else a post of the waiter's semaphore. A blocking
//! waiter's `wait` is 0 (cleared at registration and after every wait).
//!
//! Withdrawing races the waker: the bit and the word are each taken by exactly
//! one swap. A waiter whose bit was taken but whose word it took back itself
//! is owed a semaphore post (the waker found the word empty), which it takes
//! back ([`Parking::absorb_wake`]), as a withdrawn blocking park does.

use super::ring::{Parking, WAITING_WORD};
use crate::sync::{AtomicU64, Ordering};

/// Announces an asynchronous waiter: its `wait` word, then its `bit` of
/// `bitmap`. The caller runs the heavy barrier and re-checks next, as a park
/// does, and [`disarm`]s if it will not sleep.
pub(crate) fn arm(bitmap: &AtomicU64, bit: u64, wait: &AtomicU64) {
    // Relaxed, then published by the Release announcement below.
    wait.store(WAITING_WORD, Ordering::Relaxed);
    // Release: the waker whose Acquire swap takes this bit sees `wait`. A
    // read-modify-write, as `ring::announce` explains.
    bitmap.fetch_or(bit, Ordering::Release);
}

/// Withdraws an [`arm`]ed wait: the bit and the word. A waker that took both
/// owes a futex wake, which leaves nothing behind; one that took the bit after
/// which we took the word back posts the semaphore instead, taken back here.
pub(crate) fn disarm<P: Parking>(bitmap: &AtomicU64, bit: u64, wait: &AtomicU64, parking: &mut P) {
    // Relaxed (both): only un-announce; whoever's swap reads them owns them.
    let bit_taken = bitmap.fetch_and(!bit, Ordering::Relaxed) & bit == 0;
    let word_ours = wait.swap(0, Ordering::Relaxed) == WAITING_WORD;
    if bit_taken && word_ours {
        parking.absorb_wake();
    }
}

/// For a bit the waker just took (after its Acquire swap of the bitmap): takes
/// the waiter's `wait` word; true if the waiter sleeps on it (a futex wake of
/// `wait`), false if on its semaphore (a post).
pub(crate) fn take(wait: &AtomicU64) -> bool {
    // Relaxed: ordered by the Acquire swap that took the bit; the swap hands the
    // futex wake to one of us and the waiter's withdrawal.
    wait.load(Ordering::Relaxed) != 0 && wait.swap(0, Ordering::Relaxed) & WAITING_WORD != 0
}
