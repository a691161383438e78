public enum DinoModelVersion { public static let x = 1 }
