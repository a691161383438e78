extension RGBImage {
    /// The image shrunk so its longer side is at most `longSide` pixels (aspect kept, never enlarged), with the
    /// same antialiased bicubic filter as the model's preprocessing. RGB, rows packed, with its size.
    public func thumbnail(longSide: Int) -> (rgb: [UInt8], width: Int, height: Int) {
        precondition(longSide > 0)
        let scale = min(1, Double(longSide) / Double(max(width, height)))
        let w = max(1, Int((Double(width) * scale).rounded()))
        let h = max(1, Int((Double(height) * scale).rounded()))
        if w == width && h == height { return (bytes, w, h) }
        return (Resampler.resize(self, width: w, height: h, cropX: 0, cropY: 0, cropWidth: w, cropHeight: h), w, h)
    }
}
