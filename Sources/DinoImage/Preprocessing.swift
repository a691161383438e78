/// The DINOv2 evaluation transform, as its authors (torchvision) and `transformers` apply it to a PIL image:
/// resize so the short side is `resize` with PIL's bicubic filter, centre-crop `crop × crop`, scale to [0, 1]
/// and normalise per channel.
///
/// ```swift
/// let prep = Preprocessing()                      // 256 → 224, ImageNet mean and std, JPEG DCT shortcut on
/// let input = try prep.load(contentsOf: "a.jpg")  // input.pixels: 3 × 224 × 224 floats, channels first
/// ```
public struct Preprocessing: Sendable {
    /// The short side after resizing.
    public var resize: Int
    /// The side of the square centre crop (a multiple of the model's patch size).
    public var crop: Int
    /// Per-channel mean and standard deviation (RGB) of the normalisation; ImageNet's by default.
    public var mean: (Float, Float, Float)
    public var std: (Float, Float, Float)
    /// Decode JPEGs at full size (exact parity with PIL) instead of at the smallest DCT scale that still covers
    /// `resize` (several times faster on large photos; measured difference in Benchmarks/README.md).
    public var fullSizeDecode: Bool
    /// Images with more pixels than this are refused before decoding.
    public var maxPixels: Int
    /// Threads one image's decoding may use (`ImageDecoder.threadsPerImage`); nil: all cores. Code that decodes
    /// several images at once (the indexer's workers) sets 1.
    public var threadsPerImage: Int?
    /// Embed a HEIC's thumbnail item instead of the picture where it covers the crop (short side ≥ `crop`): much
    /// faster, not identical (`ImageDecoder.embeddedThumbnailMinimumSide`). Off by default.
    public var usesEmbeddedThumbnails: Bool

    public init(
        resize: Int = 256, crop: Int = 224,
        mean: (Float, Float, Float) = (0.485, 0.456, 0.406), std: (Float, Float, Float) = (0.229, 0.224, 0.225),
        fullSizeDecode: Bool = false, maxPixels: Int = 180_000_000, threadsPerImage: Int? = nil,
        usesEmbeddedThumbnails: Bool = false
    ) {
        precondition(crop > 0 && resize >= crop, "the crop must fit inside the resized image")
        self.resize = resize
        self.crop = crop
        self.mean = mean
        self.std = std
        self.fullSizeDecode = fullSizeDecode
        self.maxPixels = maxPixels
        self.threadsPerImage = threadsPerImage
        self.usesEmbeddedThumbnails = usesEmbeddedThumbnails
    }

    /// This transform with one thread per image, for callers whose workers already keep the cores busy with an
    /// image each (the indexer, `embedFiles`).
    public var withOneThreadPerImage: Preprocessing {
        var copy = self
        copy.threadsPerImage = 1
        return copy
    }

    /// The decoder this transform uses.
    public var decoder: ImageDecoder {
        ImageDecoder(
            maxPixels: maxPixels, minimumShortSide: fullSizeDecode ? nil : resize, threadsPerImage: threadsPerImage,
            embeddedThumbnailMinimumSide: usesEmbeddedThumbnails ? crop : nil)
    }

    /// Decodes and transforms an image file.
    public func load(contentsOf path: String) throws(ImageError) -> PreparedImage {
        prepare(try decoder.decode(contentsOf: path))
    }

    /// Decodes and transforms an image held in memory.
    public func load(_ bytes: [UInt8]) throws(ImageError) -> PreparedImage {
        prepare(try decoder.decode(bytes))
    }

    /// Transforms a decoded image.
    public func prepare(_ decoded: DecodedImage) -> PreparedImage {
        let pixels = cropped(decoded.image)
        return PreparedImage(
            pixels: normalized(pixels), side: crop, width: decoded.width, height: decoded.height,
            format: decoded.format, warning: decoded.warning)
    }

    /// The 8-bit `crop × crop` RGB image after the resize and the centre crop (rows packed), as PIL makes it.
    public func cropped(_ image: RGBImage) -> [UInt8] {
        let (width, height) = Self.resizedSize(width: image.width, height: image.height, shortSide: resize)
        return Resampler.resize(
            image, width: width, height: height, cropX: Self.centreOffset(width, crop),
            cropY: Self.centreOffset(height, crop), cropWidth: crop, cropHeight: crop)
    }

    /// torchvision's Resize(int): the short side becomes `shortSide`, the long side `int(shortSide · long / short)`.
    static func resizedSize(width: Int, height: Int, shortSide: Int) -> (Int, Int) {
        if width <= height {
            return (shortSide, Int(Double(shortSide * height) / Double(width)))
        }
        return (Int(Double(shortSide * width) / Double(height)), shortSide)
    }

    /// torchvision's CenterCrop offset along one side: int(round((size − crop) / 2)), Python's round halving to even.
    static func centreOffset(_ size: Int, _ crop: Int) -> Int {
        Int((Double(size - crop) / 2).rounded(.toNearestOrEven))
    }

    /// Channels-first floats: (v / 255 − mean) / std, computed in Float as torchvision does.
    public func normalized(_ rgb: [UInt8]) -> [Float] {
        let plane = rgb.count / 3
        var out = [Float](repeating: 0, count: rgb.count)
        let means = [mean.0, mean.1, mean.2], stds = [std.0, std.1, std.2]
        out.withUnsafeMutableBufferPointer { o in
            rgb.withUnsafeBufferPointer { p in
                for c in 0..<3 {
                    let m = means[c], s = stds[c]
                    for i in 0..<plane { o[c * plane + i] = (Float(p[i * 3 + c]) / 255 - m) / s }
                }
            }
        }
        return out
    }
}

/// An image ready for the encoder.
public struct PreparedImage: Sendable {
    /// `3 × side × side` floats, channels first, normalised.
    public var pixels: [Float]
    /// The square input's side in pixels (`crop`).
    public var side: Int
    /// The picture's full size as a viewer shows it (before any downscaling).
    public var width: Int, height: Int
    /// The file's format.
    public var format: ImageFormat
    /// Set when the file was damaged but still gave a usable picture.
    public var warning: String?
}
