import Testing

@testable import EdgeStore

/// The writer queue's file: every region where ``WriterQueueLayout`` says, none over the next.
@Suite struct WriterQueueLayoutTests {
    @Test func theRegionsFollowOneAnotherWithoutOverlapping() {
        let regions = WriterQueueLayout.regions
        for (earlier, later) in zip(regions, regions.dropFirst()) {
            #expect(
                earlier.start < earlier.end && earlier.end <= later.start, "\(earlier.name) runs into \(later.name)")
        }
        #expect(regions.last?.end == WriterQueueLayout.size)
        #expect(WriterQueueLayout.slotSize >= OfferedWrite.capacity, "an offered write does not fit its slot")
    }
}
