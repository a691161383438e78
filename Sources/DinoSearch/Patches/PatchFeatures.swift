import DinoImage
import DinoModel
import Foundation

extension DinoEncoder {
    /// The patch tokens (and register and CLS tokens) of one image prepared by `DensePreprocessing`, after the
    /// final LayerNorm: transformers' `last_hidden_state[:, 1 + registers:]` as a rows × columns grid.
    /// - Throws: `ModelError.badInput` if the input's sides are not multiples of the patch size.
    public func patchFeatures(_ image: DenseImage) throws(ModelError) -> PatchTokens {
        let out = try encode(image.pixels, batch: 1, height: image.inputHeight, width: image.inputWidth, includePatches: true)
        return PatchTokens(rows: out.gridRows, columns: out.gridColumns, width: out.width, tokens: out.patches,
                           registers: out.registers, cls: out.cls)
    }
}

extension SearchEngine {
    /// The patch tokens of an image file at `resolution` (its short side resized to it, each side cropped to a
    /// multiple of the patch size), with the prepared input (for drawing it beside its map).
    /// - Throws: `ImageError` naming the file, `ModelError` for an input the model cannot take.
    public func patchFeatures(contentsOf path: String, resolution: Int = 448) async throws -> (tokens: PatchTokens, image: DenseImage) {
        let dense = DensePreprocessing(
            resolution: resolution, patchSize: encoder.architecture.patchSize, fullSizeDecode: preprocessing.fullSizeDecode)
        return try await offload { [encoder] in
            let image = try dense.load(contentsOf: path)
            return (try encoder.patchFeatures(image), image)
        }
    }

    /// The same for an image held in memory (an upload); errors name it `name`.
    public func patchFeatures(_ bytes: [UInt8], name: String, resolution: Int = 448) async throws -> (tokens: PatchTokens, image: DenseImage) {
        let dense = DensePreprocessing(
            resolution: resolution, patchSize: encoder.architecture.patchSize, fullSizeDecode: preprocessing.fullSizeDecode)
        return try await offload { [encoder] in
            let image: DenseImage
            do {
                image = try dense.load(bytes)
            } catch let error as ImageError {
                throw error.at(name)
            }
            return (try encoder.patchFeatures(image), image)
        }
    }
}
