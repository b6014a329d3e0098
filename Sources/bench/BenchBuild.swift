/// Whether this binary was built for release (the figures to quote) or debug.
enum BenchBuild {
    static var configuration: String {
        #if DEBUG
            return "debug (figures are for the code paths, not for quoting: use swift run -c release bench)"
        #else
            return "release"
        #endif
    }
}
