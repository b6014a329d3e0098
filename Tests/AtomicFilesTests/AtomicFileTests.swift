import AtomicFiles
import Testing

@Suite struct AtomicFileTests {
    /// A path's folder as `dirname` gives it, with empty for a bare file name (the current folder).
    @Test(arguments: [
        ("/var/lib/boxoffice/venue.sqlite", "/var/lib/boxoffice"), ("venue.sqlite", ""), ("/venue.sqlite", "/"),
        ("data/venue.sqlite", "data"), ("./venue.sqlite", "."),
    ])
    func folder(path: String, expected: String) {
        #expect(AtomicFile.folder(of: path) == expected)
    }
}
