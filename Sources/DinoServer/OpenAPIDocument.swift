/// The API's OpenAPI 3 document, served at `GET /openapi.json`. It describes exactly the routes
/// `buildApplication` registers; `OpenAPIConformanceTests` checks every route and every response body against it.
public enum OpenAPIDocument {
    /// The document, JSON.
    public static let json = #"""
{
  "openapi": "3.0.3",
  "info": {
    "title": "dinosearch",
    "version": "1",
    "description": "Image retrieval with DINOv2 embeddings over HTTP (`dinosearch serve`). Keys are the backend's own names for images (`user-42/2024/IMG_0012.jpg`): UTF-8, 1 to 1,024 bytes, slashes allowed. Every error is `{\"error\": {\"code\", \"message\"}}` with a real status code. When the server has an API key (DINOSEARCH_API_KEY), every /v1 route needs `Authorization: Bearer KEY`; a read key (DINOSEARCH_READ_KEY) may do everything but PUT and DELETE (403)."
  },
  "servers": [
    {
      "url": "http://127.0.0.1:7878"
    }
  ],
  "security": [
    {
      "bearer": []
    },
    {}
  ],
  "paths": {
    "/healthz": {
      "get": {
        "operationId": "health",
        "summary": "Liveness (no authentication).",
        "security": [],
        "responses": {
          "200": {
            "description": "The server is up.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {
                    "status": {
                      "type": "string",
                      "enum": [
                        "ok"
                      ]
                    }
                  },
                  "required": [
                    "status"
                  ]
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "summary": "Prometheus metrics (no authentication): requests, latencies, images, queue depth.",
        "security": [],
        "responses": {
          "200": {
            "description": "Prometheus text exposition format 0.0.4.",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openapi",
        "summary": "This document (no authentication).",
        "security": [],
        "responses": {
          "200": {
            "description": "OpenAPI 3 document.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        }
      }
    },
    "/v1/stats": {
      "get": {
        "operationId": "stats",
        "summary": "What the store holds.",
        "responses": {
          "200": {
            "description": "Store statistics.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Stats"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        }
      }
    },
    "/v1/images/{key}": {
      "parameters": [
        {
          "$ref": "#/components/parameters/Key"
        }
      ],
      "put": {
        "operationId": "putImage",
        "summary": "Add an image under a key (replacing what the key held). A 200 means the image is committed to disk.",
        "requestBody": {
          "$ref": "#/components/requestBodies/Image"
        },
        "responses": {
          "200": {
            "description": "Stored and durable.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Added"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "503": {
            "$ref": "#/components/responses/Overloaded"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UndecodableImage"
          }
        }
      },
      "get": {
        "operationId": "getImage",
        "summary": "The stored record of a key.",
        "responses": {
          "200": {
            "description": "The record.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Record"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        }
      },
      "delete": {
        "operationId": "deleteImage",
        "summary": "Remove the image under a key.",
        "responses": {
          "200": {
            "description": "Removed.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Deleted"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        }
      }
    },
    "/v1/search": {
      "post": {
        "operationId": "search",
        "summary": "The k stored images most similar to a query: an image's bytes (parameters in the query string) or JSON naming a stored key or giving a vector.",
        "description": "`prefix` limits the search to keys that start with it, exactly (every image under the prefix is a candidate, not only the store-wide top k). JSON fields override query-string parameters.",
        "parameters": [
          {
            "$ref": "#/components/parameters/K"
          },
          {
            "$ref": "#/components/parameters/MinScore"
          },
          {
            "$ref": "#/components/parameters/Prefix"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/SearchQuery"
              }
            },
            "image/*": {
              "schema": {
                "type": "string",
                "format": "binary"
              }
            },
            "application/octet-stream": {
              "schema": {
                "type": "string",
                "format": "binary"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Results, best first.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SearchAnswer"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "503": {
            "$ref": "#/components/responses/Overloaded"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UndecodableImage"
          }
        }
      }
    },
    "/v1/embed": {
      "post": {
        "operationId": "embed",
        "summary": "An image's unit-length DINOv2 embedding; nothing is stored.",
        "requestBody": {
          "$ref": "#/components/requestBodies/Image"
        },
        "responses": {
          "200": {
            "description": "The embedding.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Embedding"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "503": {
            "$ref": "#/components/responses/Overloaded"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UndecodableImage"
          }
        }
      }
    },
    "/v1/duplicates": {
      "get": {
        "operationId": "duplicates",
        "summary": "Groups of near-duplicate images in the store (`dinosearch duplicates`), largest first; one whole-store operation runs at a time.",
        "parameters": [
          {
            "name": "threshold",
            "in": "query",
            "required": false,
            "description": "Cosine at or above which two images are duplicates (default 0.95).",
            "schema": {
              "type": "number",
              "minimum": -1,
              "maximum": 1
            }
          },
          {
            "name": "neighbors",
            "in": "query",
            "required": false,
            "description": "Nearest neighbours examined per image (default 16).",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1024
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The groups.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DuplicatesReport"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "503": {
            "$ref": "#/components/responses/Overloaded"
          }
        }
      }
    },
    "/v1/retrieve": {
      "post": {
        "operationId": "retrieve",
        "summary": "Retrieval around seed images (`dinosearch retrieve`): for each seed its k nearest stored images, merged, each with its best score and the seeds that found it.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RetrieveQuery"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The images retrieved, best first.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RetrieveReport"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "503": {
            "$ref": "#/components/responses/Overloaded"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        }
      }
    },
    "/v1/clusters": {
      "post": {
        "operationId": "clusters",
        "summary": "Spherical k-means over the store (`dinosearch cluster`); each cluster lists its `sample` images nearest the centroid.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ClusterQuery"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The clusters.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ClusterReport"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "503": {
            "$ref": "#/components/responses/Overloaded"
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "DINOSEARCH_API_KEY (everything) or DINOSEARCH_READ_KEY (no PUT or DELETE)."
      }
    },
    "requestBodies": {
      "Image": {
        "required": true,
        "description": "The image's bytes (JPEG, PNG, WebP, HEIC, AVIF, TIFF, GIF, BMP, JPEG XL or camera RAW).",
        "content": {
          "image/*": {
            "schema": {
              "type": "string",
              "format": "binary"
            }
          },
          "application/octet-stream": {
            "schema": {
              "type": "string",
              "format": "binary"
            }
          }
        }
      }
    },
    "parameters": {
      "Key": {
        "name": "key",
        "in": "path",
        "required": true,
        "description": "The image's key; slashes may be sent as they are or as %2F; other reserved characters percent-encoded. 1 to 1,024 bytes of UTF-8.",
        "schema": {
          "type": "string",
          "minLength": 1
        }
      },
      "K": {
        "name": "k",
        "in": "query",
        "required": false,
        "description": "Results wanted (default 10).",
        "schema": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1000
        }
      },
      "MinScore": {
        "name": "min_score",
        "in": "query",
        "required": false,
        "description": "Leave out results with a cosine below this.",
        "schema": {
          "type": "number",
          "minimum": -1,
          "maximum": 1
        }
      },
      "Prefix": {
        "name": "prefix",
        "in": "query",
        "required": false,
        "description": "Search only keys that start with this.",
        "schema": {
          "type": "string"
        }
      }
    },
    "responses": {
      "BadRequest": {
        "description": "A parameter or the JSON body is invalid (code `bad_request`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Forbidden": {
        "description": "The read key cannot add or remove images (code `forbidden`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "NotFound": {
        "description": "No image with that key (code `not_found`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "PayloadTooLarge": {
        "description": "The body is larger than --max-upload (code `payload_too_large`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "UnsupportedMediaType": {
        "description": "The body is neither an image nor JSON where JSON is accepted (code `unsupported_media_type`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "UndecodableImage": {
        "description": "The image does not decode, or claims more pixels than the limit (code `undecodable_image`, with the decoder's reason).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "No key, or a wrong one (code `unauthorized`).",
        "headers": {
          "WWW-Authenticate": {
            "schema": {
              "type": "string"
            }
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Overloaded": {
        "description": "The inference queue is full, or another whole-store operation is running (code `overloaded`).",
        "headers": {
          "Retry-After": {
            "description": "Seconds to wait.",
            "schema": {
              "type": "integer"
            }
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      }
    },
    "schemas": {
      "Error": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "error": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "code": {
                "type": "string"
              },
              "message": {
                "type": "string"
              }
            },
            "required": [
              "code",
              "message"
            ]
          }
        },
        "required": [
          "error"
        ]
      },
      "Stats": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "images": {
            "type": "integer"
          },
          "model": {
            "type": "string"
          },
          "dimension": {
            "type": "integer"
          },
          "layout": {
            "type": "string"
          }
        },
        "required": [
          "images",
          "model",
          "dimension",
          "layout"
        ]
      },
      "Added": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "id": {
            "type": "integer"
          },
          "key": {
            "type": "string"
          },
          "width": {
            "type": "integer"
          },
          "height": {
            "type": "integer"
          }
        },
        "required": [
          "id",
          "key",
          "width",
          "height"
        ]
      },
      "Record": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "id": {
            "type": "integer"
          },
          "key": {
            "type": "string"
          },
          "width": {
            "type": "integer"
          },
          "height": {
            "type": "integer"
          },
          "bytes": {
            "type": "integer"
          },
          "sha256": {
            "type": "string"
          },
          "added": {
            "type": "number",
            "description": "When the image was stored, seconds since 1970."
          }
        },
        "required": [
          "id",
          "key",
          "width",
          "height",
          "bytes",
          "sha256",
          "added"
        ]
      },
      "Deleted": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "id": {
            "type": "integer"
          },
          "key": {
            "type": "string"
          },
          "deleted": {
            "type": "boolean"
          }
        },
        "required": [
          "id",
          "key",
          "deleted"
        ]
      },
      "SearchQuery": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "key": {
            "type": "string"
          },
          "vector": {
            "type": "array",
            "items": {
              "type": "number"
            }
          },
          "k": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1000
          },
          "min_score": {
            "type": "number"
          },
          "prefix": {
            "type": "string"
          }
        },
        "description": "Exactly one of `key` (a stored image) and `vector` (any length-D vector; it is normalised)."
      },
      "Hit": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "rank": {
            "type": "integer"
          },
          "score": {
            "type": "number"
          },
          "key": {
            "type": "string"
          },
          "id": {
            "type": "integer"
          }
        },
        "required": [
          "rank",
          "score",
          "key",
          "id"
        ]
      },
      "SearchAnswer": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "results": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Hit"
            }
          },
          "took_ms": {
            "type": "number"
          }
        },
        "required": [
          "results",
          "took_ms"
        ]
      },
      "Embedding": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "embedding": {
            "type": "array",
            "items": {
              "type": "number"
            }
          },
          "model": {
            "type": "string"
          },
          "width": {
            "type": "integer"
          },
          "height": {
            "type": "integer"
          }
        },
        "required": [
          "embedding",
          "model",
          "width",
          "height"
        ]
      },
      "ScoredImage": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "key": {
            "type": "string"
          },
          "id": {
            "type": "integer"
          },
          "score": {
            "type": "number"
          }
        },
        "required": [
          "key",
          "id",
          "score"
        ]
      },
      "DuplicatesReport": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "images": {
            "type": "integer"
          },
          "groups": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "keep": {
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {
                    "key": {
                      "type": "string"
                    },
                    "id": {
                      "type": "integer"
                    },
                    "width": {
                      "type": "integer"
                    },
                    "height": {
                      "type": "integer"
                    }
                  },
                  "required": [
                    "key",
                    "id",
                    "width",
                    "height"
                  ]
                },
                "duplicates": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/ScoredImage"
                  }
                }
              },
              "required": [
                "keep",
                "duplicates"
              ]
            }
          }
        },
        "required": [
          "images",
          "groups"
        ]
      },
      "RetrieveQuery": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "keys": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "vectors": {
            "type": "array",
            "items": {
              "type": "array",
              "items": {
                "type": "number"
              }
            }
          },
          "k": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1000
          },
          "min_score": {
            "type": "number"
          }
        },
        "description": "Seeds as stored keys and/or vectors; k per seed (default 4)."
      },
      "RetrieveReport": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "seeds": {
            "type": "integer"
          },
          "results": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "key": {
                  "type": "string"
                },
                "id": {
                  "type": "integer"
                },
                "score": {
                  "type": "number"
                },
                "seeds": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  }
                }
              },
              "required": [
                "key",
                "id",
                "score",
                "seeds"
              ]
            }
          }
        },
        "required": [
          "seeds",
          "results"
        ]
      },
      "ClusterQuery": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "clusters": {
            "type": "integer",
            "minimum": 1
          },
          "iterations": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1000
          },
          "seed": {
            "type": "integer"
          },
          "sample": {
            "type": "integer",
            "minimum": 1
          }
        },
        "required": [
          "clusters"
        ],
        "description": "k-means settings: clusters (required), iterations (20), seed (1), images listed per cluster (10)."
      },
      "ClusterReport": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "images": {
            "type": "integer"
          },
          "objective": {
            "type": "number"
          },
          "clusters": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "cluster": {
                  "type": "integer"
                },
                "size": {
                  "type": "integer"
                },
                "images": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/ScoredImage"
                  }
                }
              },
              "required": [
                "cluster",
                "size",
                "images"
              ]
            }
          }
        },
        "required": [
          "images",
          "objective",
          "clusters"
        ]
      }
    }
  }
}
"""#
}
