// What the parity tests of several targets share.

/// Largest absolute difference and smallest per-vector cosine between two [count, width] arrays.
public func compare(_ ours: [Float], _ reference: [Float], width: Int) -> (maxError: Float, minCosine: Float) {
    precondition(ours.count == reference.count)
    var maxError: Float = 0, minCosine: Float = 1
    for v in 0..<(ours.count / width) {
        var dot: Double = 0, a: Double = 0, b: Double = 0
        for j in (v * width)..<((v + 1) * width) {
            maxError = max(maxError, abs(ours[j] - reference[j]))
            dot += Double(ours[j]) * Double(reference[j])
            a += Double(ours[j]) * Double(ours[j])
            b += Double(reference[j]) * Double(reference[j])
        }
        minCosine = min(minCosine, Float(dot / (a * b).squareRoot()))
    }
    return (maxError, minCosine)
}
