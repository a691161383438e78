import CDinoFaiss
import CLMDB
import DinoModel
public func probe() -> Int32 {
    var idx: OpaquePointer? = nil
    var err = [CChar](repeating: 0, count: 256)
    let rc = dino_index_create("IDMap2,Flat", 8, &idx, &err, 256)
    var env: OpaquePointer? = nil
    mdb_env_create(&env)
    return rc
}
