/// PIL's separable resampling (`Image.resize`, `libImaging/Resample.c`) with its bicubic filter, reproduced
/// step for step so the 8-bit output matches Pillow's: weights computed in double precision over a support
/// widened by the scale factor (antialiasing when shrinking), normalised, rounded to 22-bit fixed point; a
/// horizontal pass into an 8-bit intermediate, then a vertical pass, each output rounded and clipped to 0...255.
///
/// `resize` computes only a window of the output (the centre crop): every output pixel depends only on its own
/// weights, so the window equals the same crop of the full resize.
struct Resampler {
    /// Pillow: `PRECISION_BITS = 32 - 8 - 2`.
    static let precisionBits = 22

    /// PIL's bicubic kernel, a = −0.5, support 2.
    static func bicubic(_ t: Double) -> Double {
        let a = -0.5
        let x = abs(t)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    /// Fixed-point weights for output positions `first ..< first + count` of a `inSize → outSize` resize.
    struct Weights {
        /// Per output position: first input index and number of taps.
        var start: [Int], taps: [Int]
        /// `count × kernelSize` weights, zero-padded.
        var values: [Int32]
        var kernelSize: Int

        init(inSize: Int, outSize: Int, first: Int, count: Int) {
            let scale = Double(inSize) / Double(outSize)
            let filterScale = max(scale, 1)
            let support = 2.0 * filterScale
            kernelSize = Int(support.rounded(.up)) * 2 + 1
            start = [Int](repeating: 0, count: count)
            taps = [Int](repeating: 0, count: count)
            values = [Int32](repeating: 0, count: count * kernelSize)
            var weights = [Double](repeating: 0, count: kernelSize)
            let reciprocal = 1.0 / filterScale  // Pillow multiplies by the reciprocal; dividing rounds differently
            let one = Double(1 << Resampler.precisionBits)
            for i in 0..<count {
                let center = (Double(first + i) + 0.5) * scale
                let lo = max(Int(center - support + 0.5), 0)  // C's (int) truncation, as Pillow does
                let hi = min(Int(center + support + 0.5), inSize)
                let n = hi - lo
                var sum = 0.0
                for x in 0..<n {
                    weights[x] = Resampler.bicubic((Double(x + lo) - center + 0.5) * reciprocal)
                    sum += weights[x]
                }
                for x in 0..<n {
                    let w = sum != 0 ? weights[x] / sum : weights[x]
                    values[i * kernelSize + x] = Int32(w < 0 ? -0.5 + w * one : 0.5 + w * one)
                }
                start[i] = lo
                taps[i] = n
            }
        }
    }

    @inline(__always)
    static func clip8(_ sum: Int32) -> UInt8 {
        UInt8(clamping: sum >> Int32(precisionBits))
    }

    /// The window `x ..< x + cropWidth`, `y ..< y + cropHeight` of `image` resized to `width × height`.
    static func resize(
        _ image: RGBImage, width: Int, height: Int, cropX: Int, cropY: Int, cropWidth: Int, cropHeight: Int
    ) -> [UInt8] {
        precondition(cropX >= 0 && cropY >= 0 && cropX + cropWidth <= width && cropY + cropHeight <= height)
        let inW = image.width, inH = image.height
        let horizontal = width != inW, vertical = height != inH
        let rows = Weights(inSize: inH, outSize: height, first: cropY, count: cropHeight)
        // Input rows the vertical pass reads; without a vertical pass, exactly the cropped rows.
        let firstRow = vertical ? rows.start[0] : cropY
        let lastRow = vertical ? rows.start[cropHeight - 1] + rows.taps[cropHeight - 1] : cropY + cropHeight
        let tempRows = lastRow - firstRow

        // Horizontal pass: tempRows × cropWidth, 8-bit.
        var temp = [UInt8](repeating: 0, count: tempRows * cropWidth * 3)
        temp.withUnsafeMutableBufferPointer { out in
            let source = image.pixels
            if !horizontal {
                for r in 0..<tempRows {
                    (out.baseAddress! + r * cropWidth * 3).update(
                        from: source + ((firstRow + r) * inW + cropX) * 3, count: cropWidth * 3)
                }
                return
            }
            let columns = Weights(inSize: inW, outSize: width, first: cropX, count: cropWidth)
            columns.values.withUnsafeBufferPointer { k in
                for r in 0..<tempRows {
                    let row = source + (firstRow + r) * inW * 3
                    let outRow = out.baseAddress! + r * cropWidth * 3
                    for c in 0..<cropWidth {
                        let half: Int32 = 1 << Int32(precisionBits - 1)
                        var s0 = half, s1 = half, s2 = half
                        let weights = k.baseAddress! + c * columns.kernelSize
                        var p = row + columns.start[c] * 3
                        for t in 0..<columns.taps[c] {
                            let w = weights[t]
                            s0 &+= Int32(p[0]) &* w
                            s1 &+= Int32(p[1]) &* w
                            s2 &+= Int32(p[2]) &* w
                            p += 3
                        }
                        outRow[c * 3] = clip8(s0)
                        outRow[c * 3 + 1] = clip8(s1)
                        outRow[c * 3 + 2] = clip8(s2)
                    }
                }
            }
        }
        guard vertical else { return temp }

        // Vertical pass: cropHeight × cropWidth from the intermediate rows.
        var out = [UInt8](repeating: 0, count: cropHeight * cropWidth * 3)
        let rowBytes = cropWidth * 3
        temp.withUnsafeBufferPointer { input in
            rows.values.withUnsafeBufferPointer { k in
                var sums = [Int32](repeating: 0, count: rowBytes)
                for r in 0..<cropHeight {
                    for i in 0..<rowBytes { sums[i] = 1 << Int32(precisionBits - 1) }
                    let weights = k.baseAddress! + r * rows.kernelSize
                    let top = rows.start[r] - firstRow
                    for t in 0..<rows.taps[r] {
                        let w = weights[t]
                        let line = input.baseAddress! + (top + t) * rowBytes
                        for i in 0..<rowBytes { sums[i] &+= Int32(line[i]) &* w }
                    }
                    for i in 0..<rowBytes { out[r * rowBytes + i] = clip8(sums[i]) }
                }
            }
        }
        return out
    }
}
