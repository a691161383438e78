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
    "description": "Image retrieval with DINOv2 embeddings over HTTP (`dinosearch serve`). Keys are the backend's own names for images (`user-42/2024/IMG_0012.jpg`): UTF-8, 1 to 1,024 bytes, slashes allowed. Every error is `{\"error\": {\"code\", \"message\"}}` with a real status code. When the server has an API key (DINOSEARCH_API_KEY), every /v1 route needs `Authorization: Bearer KEY`; a read key (DINOSEARCH_READ_KEY) may do everything but PUT and DELETE (403). The web interface (`/`, `/clusters`, `/maps`, `/stats`) is served beside the API unless the server runs with `--no-ui`; it is not part of this document."
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
      },
      "get": {
        "operationId": "listClusters",
        "summary": "Clusters a page at a time, largest first, each with the images nearest its centroid. The k-means runs once in the background and is kept in the store until the store changes.",
        "parameters": [
          {
            "name": "clusters",
            "in": "query",
            "required": true,
            "description": "Number of clusters, as `dinosearch cluster --clusters`.",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1000000
            }
          },
          {
            "name": "seed",
            "in": "query",
            "required": false,
            "description": "Seed (default 1): the same seed gives the same clusters.",
            "schema": {
              "type": "integer"
            }
          },
          {
            "name": "iterations",
            "in": "query",
            "required": false,
            "description": "Lloyd iterations (default 20).",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1000
            }
          },
          {
            "name": "offset",
            "in": "query",
            "required": false,
            "description": "Skip this many entries (paging).",
            "schema": {
              "type": "integer",
              "minimum": 0
            }
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "description": "Clusters per page (default 48).",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 500
            }
          },
          {
            "name": "sample",
            "in": "query",
            "required": false,
            "description": "Images shown per cluster (default 4).",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 16
            }
          }
        ],
        "responses": {
          "200": {
            "description": "A page of clusters.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ClusterListing"
                }
              }
            }
          },
          "202": {
            "description": "k-means is running in the background (started by this request if it was not); poll again.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Progress"
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
    "/v1/clusters/members": {
      "get": {
        "operationId": "clusterMembers",
        "summary": "One cluster's members a page at a time, nearest the centroid first.",
        "parameters": [
          {
            "name": "clusters",
            "in": "query",
            "required": true,
            "description": "Number of clusters, as `dinosearch cluster --clusters`.",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1000000
            }
          },
          {
            "name": "seed",
            "in": "query",
            "required": false,
            "description": "Seed (default 1): the same seed gives the same clusters.",
            "schema": {
              "type": "integer"
            }
          },
          {
            "name": "iterations",
            "in": "query",
            "required": false,
            "description": "Lloyd iterations (default 20).",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1000
            }
          },
          {
            "name": "offset",
            "in": "query",
            "required": false,
            "description": "Skip this many entries (paging).",
            "schema": {
              "type": "integer",
              "minimum": 0
            }
          },
          {
            "name": "cluster",
            "in": "query",
            "required": true,
            "description": "The cluster's number.",
            "schema": {
              "type": "integer",
              "minimum": 0
            }
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "description": "Members per page (default 60).",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 500
            }
          }
        ],
        "responses": {
          "200": {
            "description": "A page of members.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ClusterMembers"
                }
              }
            }
          },
          "202": {
            "description": "k-means is running in the background (started by this request if it was not); poll again.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Progress"
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
    "/v1/progress": {
      "get": {
        "operationId": "progress",
        "summary": "The whole-store computation the pages started (k-means for the clusters page, near-duplicate groups for the review page), and how far it has got.",
        "responses": {
          "200": {
            "description": "Running or idle.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Progress"
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
    "/v1/thumbnails/{key}": {
      "get": {
        "operationId": "thumbnail",
        "summary": "A stored image's thumbnail (JPEG, longer side `size`), upright. Made on demand from the indexed file, or kept from the upload for keys added over HTTP; cached in the store by content hash. `ETag` + `Cache-Control`; `If-None-Match` gets 304.",
        "parameters": [
          {
            "$ref": "#/components/parameters/Key"
          },
          {
            "name": "size",
            "in": "query",
            "required": false,
            "description": "Longer side: 256 (default) or 1024.",
            "schema": {
              "type": "integer",
              "enum": [
                256,
                1024
              ]
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The thumbnail.",
            "content": {
              "image/jpeg": {
                "schema": {
                  "type": "string",
                  "format": "binary"
                }
              }
            }
          },
          "304": {
            "description": "Not modified (the `ETag` sent in `If-None-Match` is current)."
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
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          }
        }
      }
    },
    "/v1/originals/{key}": {
      "get": {
        "operationId": "original",
        "summary": "The indexed file of a stored image, only from a path the catalog holds that lies inside a folder `dinosearch index` was given once links are resolved; never any other file. Content type from the bytes.",
        "parameters": [
          {
            "$ref": "#/components/parameters/Key"
          }
        ],
        "responses": {
          "200": {
            "description": "The file's bytes.",
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
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          }
        }
      }
    },
    "/v1/maps/{key}": {
      "get": {
        "operationId": "storedMap",
        "summary": "The PCA map of a stored image's patch features (the DINOv2 paper's Fig. 1), fitted on the image alone.",
        "parameters": [
          {
            "$ref": "#/components/parameters/Key"
          },
          {
            "name": "resolution",
            "in": "query",
            "required": false,
            "description": "Short side of the model's input (default 448).",
            "schema": {
              "type": "integer",
              "minimum": 14,
              "maximum": 1344
            }
          },
          {
            "name": "threshold",
            "in": "query",
            "required": false,
            "description": "Foreground: first-component score above this (default 0).",
            "schema": {
              "type": "number"
            }
          },
          {
            "name": "format",
            "in": "query",
            "required": false,
            "description": "`png` (default): the map at the model's input size; `npy`: the patch tokens, rows × columns × D float32.",
            "schema": {
              "type": "string",
              "enum": [
                "png",
                "npy"
              ]
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The map (headers `X-Patch-Grid: COLUMNSxROWS`, `X-Foreground` for PNG) or the tokens.",
            "content": {
              "image/png": {
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
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "503": {
            "$ref": "#/components/responses/Overloaded"
          }
        }
      }
    },
    "/v1/maps": {
      "post": {
        "operationId": "uploadMap",
        "summary": "The PCA map of an uploaded image's patch features.",
        "parameters": [
          {
            "name": "resolution",
            "in": "query",
            "required": false,
            "description": "Short side of the model's input (default 448).",
            "schema": {
              "type": "integer",
              "minimum": 14,
              "maximum": 1344
            }
          },
          {
            "name": "threshold",
            "in": "query",
            "required": false,
            "description": "Foreground: first-component score above this (default 0).",
            "schema": {
              "type": "number"
            }
          },
          {
            "name": "format",
            "in": "query",
            "required": false,
            "description": "`png` (default): the map at the model's input size; `npy`: the patch tokens, rows × columns × D float32.",
            "schema": {
              "type": "string",
              "enum": [
                "png",
                "npy"
              ]
            }
          }
        ],
        "requestBody": {
          "required": true,
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
        },
        "responses": {
          "200": {
            "description": "The map (headers `X-Patch-Grid: COLUMNSxROWS`, `X-Foreground` for PNG) or the tokens.",
            "content": {
              "image/png": {
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
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UndecodableImage"
          },
          "503": {
            "$ref": "#/components/responses/Overloaded"
          }
        }
      }
    },
    "/v1/duplicates/review": {
      "get": {
        "operationId": "reviewDuplicates",
        "summary": "Groups of near-duplicates as `dinosearch duplicates` finds them, 20 a page, largest first, with every member's details and the person's decisions (the keep rule's where none was made). Computed once in the background and kept while the store is unchanged.",
        "parameters": [
          {
            "name": "threshold",
            "in": "query",
            "required": false,
            "description": "Cosine at or above which two images are near-duplicates (default 0.95).",
            "schema": {
              "type": "number",
              "minimum": -1,
              "maximum": 1
            }
          },
          {
            "name": "page",
            "in": "query",
            "required": false,
            "description": "Page, from 1.",
            "schema": {
              "type": "integer",
              "minimum": 1
            }
          }
        ],
        "responses": {
          "200": {
            "description": "A page of groups.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ReviewPage"
                }
              }
            }
          },
          "202": {
            "description": "The groups are being computed in the background (started by this request if they were not); poll again.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Progress"
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
    "/v1/duplicates/decisions": {
      "put": {
        "operationId": "decide",
        "summary": "Records a decision on one image of a group; kept in the store until the group changes. Needs the write key.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ReviewChoice"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The decision, as recorded.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ReviewChoice"
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
          }
        }
      }
    },
    "/v1/duplicates/apply": {
      "post": {
        "operationId": "applyReview",
        "summary": "Moves every image marked trash (in the groups named, or all) into the quarantine (`STORE/quarantine`, journalled, restorable) and forgets it in the store; the group's first kept image is recorded as kept. Files move only when the server runs with --allow-file-changes (otherwise they are listed as skipped); keys added over HTTP are forgotten with the write key. The read key gets 403.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ApplyRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "What moved and what was skipped, with the reason.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/QuarantineReport"
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
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        }
      }
    },
    "/v1/duplicates/undo": {
      "post": {
        "operationId": "undoReview",
        "summary": "Restores what this server's last apply moved (`dinosearch restore` restores anything in the quarantine).",
        "responses": {
          "200": {
            "description": "What came back.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RestoreReport"
                }
              }
            }
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
    "/v1/duplicates/plan": {
      "get": {
        "operationId": "reviewPlan",
        "summary": "What an apply of every group would do, moving nothing: as JSON, or as a shell script of `mkdir -p` and `mv -n` lines for a person to read and run.",
        "parameters": [
          {
            "name": "threshold",
            "in": "query",
            "required": false,
            "description": "Cosine at or above which two images are near-duplicates (default 0.95).",
            "schema": {
              "type": "number",
              "minimum": -1,
              "maximum": 1
            }
          },
          {
            "name": "format",
            "in": "query",
            "required": false,
            "description": "`json` (default) or `sh`.",
            "schema": {
              "type": "string",
              "enum": [
                "json",
                "sh"
              ]
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The plan.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/QuarantineReport"
                }
              },
              "text/x-shellscript": {
                "schema": {
                  "type": "string"
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
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        }
      }
    },
    "/v1/duplicates/difference": {
      "get": {
        "operationId": "patchDifference",
        "summary": "Where two stored images differ, patch by patch: the cosine of their DINOv2 patch tokens (the second's grid matched to the first's), drawn over the first image's grid as a PNG at its input size — white where they agree, red where they do not (a crop, a watermark, an edit). Headers `X-Patch-Grid`, `X-Mean-Cosine`, `X-Min-Cosine`.",
        "parameters": [
          {
            "name": "a",
            "in": "query",
            "required": true,
            "description": "The first image's key (the map is drawn on its grid).",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "b",
            "in": "query",
            "required": true,
            "description": "The second image's key.",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "resolution",
            "in": "query",
            "required": false,
            "description": "Short side of the model's input (default 448).",
            "schema": {
              "type": "integer",
              "minimum": 14,
              "maximum": 1344
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The difference map.",
            "content": {
              "image/png": {
                "schema": {
                  "type": "string",
                  "format": "binary"
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
          },
          "410": {
            "$ref": "#/components/responses/Gone"
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
        "description": "Not allowed (code `forbidden`): the read key cannot add or remove images; a file outside the indexed folders is never served; without an API key, a request whose `Host` is not this server's address or a cross-origin `Origin` on a method other than GET is refused.",
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
      },
      "Gone": {
        "description": "The stored image's file is gone or changed since it was indexed (code `file_unavailable`); the page shows a placeholder with this message.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Conflict": {
        "description": "The groups at this threshold are still being computed (code `not_ready`): ask `GET /v1/duplicates/review` until it answers 200.",
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
          },
          "store": {
            "type": "string",
            "description": "The store's directory."
          },
          "name": {
            "type": "string",
            "description": "The store directory's name, for a page's header."
          },
          "indexed_vectors": {
            "type": "integer"
          },
          "catalog_bytes": {
            "type": "integer"
          },
          "index_bytes": {
            "type": "integer"
          },
          "rebuild_advised": {
            "type": "boolean",
            "description": "The collection outgrew its index layout: `dinosearch rebuild` would help."
          }
        },
        "required": [
          "images",
          "model",
          "dimension",
          "layout",
          "store",
          "name",
          "indexed_vectors",
          "catalog_bytes",
          "index_bytes",
          "rebuild_advised"
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
          },
          "width": {
            "type": "integer",
            "description": "Pixel width of the image as a viewer shows it."
          },
          "height": {
            "type": "integer"
          },
          "bytes": {
            "type": "integer",
            "description": "Size of the file (or upload) in bytes."
          }
        },
        "required": [
          "rank",
          "score",
          "key",
          "id",
          "width",
          "height",
          "bytes"
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
      },
      "ImageSummary": {
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
            "type": "number",
            "description": "Cosine to the cluster's centroid."
          },
          "width": {
            "type": "integer"
          },
          "height": {
            "type": "integer"
          },
          "bytes": {
            "type": "integer"
          }
        },
        "required": [
          "key",
          "id",
          "score",
          "width",
          "height",
          "bytes"
        ]
      },
      "ClusterCard": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "cluster": {
            "type": "integer"
          },
          "size": {
            "type": "integer"
          },
          "mean_score": {
            "type": "number",
            "description": "Mean cosine of the members to the centroid."
          },
          "images": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ImageSummary"
            },
            "description": "The members nearest the centroid (`sample` of them)."
          }
        },
        "required": [
          "cluster",
          "size",
          "mean_score",
          "images"
        ]
      },
      "ClusterListing": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "ready"
            ]
          },
          "images": {
            "type": "integer"
          },
          "clusters": {
            "type": "integer"
          },
          "objective": {
            "type": "number"
          },
          "offset": {
            "type": "integer"
          },
          "cards": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ClusterCard"
            },
            "description": "Clusters, largest first, from `offset`."
          }
        },
        "required": [
          "status",
          "images",
          "clusters",
          "objective",
          "offset",
          "cards"
        ]
      },
      "ClusterMembers": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "ready"
            ]
          },
          "cluster": {
            "type": "integer"
          },
          "size": {
            "type": "integer"
          },
          "mean_score": {
            "type": "number"
          },
          "offset": {
            "type": "integer"
          },
          "members": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ImageSummary"
            },
            "description": "Members nearest the centroid first, from `offset`."
          }
        },
        "required": [
          "status",
          "cluster",
          "size",
          "mean_score",
          "offset",
          "members"
        ]
      },
      "ProgressDetail": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "operation": {
            "type": "string",
            "enum": [
              "clusters",
              "duplicates"
            ]
          },
          "stage": {
            "type": "string",
            "enum": [
              "sampling",
              "assigning",
              "neighbors"
            ]
          },
          "done": {
            "type": "integer"
          },
          "total": {
            "type": "integer"
          },
          "elapsed": {
            "type": "number",
            "description": "Seconds since the stage started."
          },
          "remaining": {
            "type": "number",
            "description": "Seconds left at the rate so far (absent before anything is done)."
          }
        },
        "required": [
          "operation",
          "stage",
          "done",
          "total",
          "elapsed"
        ]
      },
      "Progress": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "running",
              "idle"
            ]
          },
          "progress": {
            "$ref": "#/components/schemas/ProgressDetail"
          }
        },
        "required": [
          "status"
        ]
      },
      "ReviewMember": {
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
          },
          "bytes": {
            "type": "integer"
          },
          "format": {
            "type": "string",
            "description": "The file name's extension, upper case."
          },
          "modified": {
            "type": "number",
            "description": "Modification time, seconds since 1970."
          },
          "score": {
            "type": "number",
            "description": "Cosine to the image the keep rule keeps (1 for that image)."
          },
          "decision": {
            "type": "string",
            "enum": [
              "keep",
              "trash"
            ]
          }
        },
        "required": [
          "key",
          "id",
          "width",
          "height",
          "bytes",
          "format",
          "modified",
          "score",
          "decision"
        ]
      },
      "ReviewGroup": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "group": {
            "type": "string",
            "description": "The group's name (SHA-256 of its members' sorted paths): decisions hold while it is the same."
          },
          "size": {
            "type": "integer",
            "description": "Images in the group (at most 48 are in `members`: the kept one and those nearest it)."
          },
          "members": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ReviewMember"
            },
            "description": "The kept image first, then by cosine; at most 48."
          },
          "kept_because": {
            "type": "string",
            "enum": [
              "most pixels",
              "largest file",
              "oldest",
              "first by path",
              "the only image"
            ]
          },
          "weakest_pair": {
            "type": "number",
            "description": "The least cosine between two members shown, or of any member to the kept one."
          },
          "chained": {
            "type": "boolean",
            "description": "Some pair is below the threshold: the group holds together through intermediate images."
          }
        },
        "required": [
          "group",
          "size",
          "members",
          "kept_because",
          "weakest_pair",
          "chained"
        ]
      },
      "ReviewPage": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "ready"
            ]
          },
          "threshold": {
            "type": "number"
          },
          "images": {
            "type": "integer"
          },
          "groups_total": {
            "type": "integer"
          },
          "images_to_go": {
            "type": "integer",
            "description": "Images marked trash in every group."
          },
          "page": {
            "type": "integer"
          },
          "pages": {
            "type": "integer"
          },
          "allow_file_changes": {
            "type": "boolean",
            "description": "The server moves files (started with --allow-file-changes)."
          },
          "undo_available": {
            "type": "boolean"
          },
          "groups": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ReviewGroup"
            },
            "description": "20 groups a page, largest first."
          }
        },
        "required": [
          "status",
          "threshold",
          "images",
          "groups_total",
          "images_to_go",
          "page",
          "pages",
          "allow_file_changes",
          "undo_available",
          "groups"
        ]
      },
      "ReviewChoice": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "group": {
            "type": "string"
          },
          "key": {
            "type": "string"
          },
          "decision": {
            "type": "string",
            "enum": [
              "keep",
              "trash"
            ]
          }
        },
        "required": [
          "group",
          "key",
          "decision"
        ]
      },
      "ApplyRequest": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "threshold": {
            "type": "number",
            "minimum": -1,
            "maximum": 1
          },
          "groups": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "description": "Names of the groups to apply (a page's); absent: every group."
          }
        }
      },
      "QuarantineReport": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "moved": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "path": {
                  "type": "string"
                },
                "to": {
                  "type": "string",
                  "description": "Where it went (absent for a key added over HTTP: forgotten, restorable)."
                },
                "kept": {
                  "type": "string"
                }
              },
              "required": [
                "path"
              ]
            }
          },
          "skipped": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "path": {
                  "type": "string"
                },
                "reason": {
                  "type": "string"
                }
              },
              "required": [
                "path",
                "reason"
              ]
            }
          }
        },
        "required": [
          "moved",
          "skipped"
        ]
      },
      "RestoreReport": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "restored": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "path": {
                  "type": "string"
                },
                "from": {
                  "type": "string"
                }
              },
              "required": [
                "path"
              ]
            }
          },
          "skipped": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "path": {
                  "type": "string"
                },
                "reason": {
                  "type": "string"
                }
              },
              "required": [
                "path",
                "reason"
              ]
            }
          }
        },
        "required": [
          "restored",
          "skipped"
        ]
      }
    }
  }
}
"""#
}
