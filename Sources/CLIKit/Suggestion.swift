/// "Did you mean …?" for mistyped commands and options.
enum Suggestion {
    /// The candidate closest to `input` by edit distance, when it is close enough to be a typo.
    static func closest(to input: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(input, $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let tolerance = max(1, min(3, input.count / 3))
        return best.1 <= tolerance ? best.0 : nil
    }

    /// Levenshtein distance over characters.
    static func distance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// ` Did you mean 'x'?` or the empty string.
    static func sentence(for input: String, among candidates: [String]) -> String {
        closest(to: input, among: candidates).map { " Did you mean '\($0)'?" } ?? ""
    }
}
