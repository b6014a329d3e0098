import TestSupport

@testable import EdgeStore

/// Waits on the writer queue's own state, for tests that order threads around it.
extension WriterTurnstile {
    /// Waits until `count` writers have taken their tickets behind the one whose turn it is;
    /// false when they have not within a generous 30 s.
    func waitForWriters(_ count: UInt32) -> Bool {
        waitUntil(timeout: 30, every: 0.001) {
            let tickets = self.tickets
            return tickets.next &- tickets.serving > count
        } != nil
    }

    /// Waits until the writer right behind the one whose turn it is has offered its write;
    /// false when it has not within a generous 30 s.
    func waitForOffer() -> Bool {
        waitUntil(timeout: 30, every: 0.001) {
            OfferedWrite(ticket: self.tickets.serving &+ 1, in: self).state == OfferedWrite.offered
        } != nil
    }
}
