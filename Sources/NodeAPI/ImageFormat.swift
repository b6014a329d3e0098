import SyncWire

/// The image formats a drawing is served in, chosen by `?format=` or else by the `Accept` header
/// (RFC 9110 §12.5.1): SVG unless the client prefers PNG.
enum ImageFormat: String, CaseIterable {
    case svg
    case png

    var contentType: String {
        switch self {
        case .svg: "image/svg+xml"
        case .png: "image/png"
        }
    }

    /// The format `format` names (it wins over `accept`), or the one `accept` weighs highest
    /// (SVG on a tie or without the header); 400 for an unknown name, 406 when `accept` takes
    /// neither.
    static func chosen(format: String?, accept: String?) throws -> ImageFormat {
        if let format {
            guard let chosen = ImageFormat(rawValue: format) else {
                throw APIError.badRequest("format must be svg or png")
            }
            return chosen
        }
        guard let accept, !accept.trimmingSpaces.isEmpty else { return .svg }
        let ranges = accept.split(separator: ",").map(MediaRange.init)
        let weights = allCases.map { format in (format, weight(of: format.contentType, in: ranges)) }
        guard let best = weights.max(by: { $0.1 < $1.1 }), best.1 > 0 else {
            throw APIError(
                status: 406, code: "not_acceptable",
                message: "this answers image/svg+xml or image/png (Accept: \(accept.prefix(80)))")
        }
        return best.0
    }

    /// The quality the most specific range matching `type` gives it; 0 when none matches.
    private static func weight(of type: String, in ranges: [MediaRange]) -> Double {
        let major = type.split(separator: "/")[0]
        let matching = ranges.filter { $0.type == type || $0.type == "\(major)/*" || $0.type == "*/*" }
        return matching.max { $0.specificity < $1.specificity }?.quality ?? 0
    }

    /// One `type/subtype;q=0.5` of an `Accept` header.
    private struct MediaRange {
        let type: String
        let quality: Double

        init(_ text: Substring) {
            let parts = text.split(separator: ";").map { $0.trimmingSpaces.lowercased() }
            type = parts.first ?? ""
            quality =
                parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) }
                .map { min(max($0, 0), 1) } ?? 1
        }

        /// 2 for `type/subtype`, 1 for `type/*`, 0 for `*/*`.
        var specificity: Int { type == "*/*" ? 0 : type.hasSuffix("/*") ? 1 : 2 }
    }
}
