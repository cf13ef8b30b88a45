// The kiosk's API calls, typed by the client openapi-typescript generates from the API
// description (`api.d.ts`, written beside this file by tests/api/openapi.rs). The kiosk's
// scripts stay plain JavaScript: TypeScript checks kiosk.js as it is, with `fetch` and
// `JSON.stringify` declared here so that
//
// - a JSON body sent to an API path must have every field the API requires and no field it
//   does not know (at any depth);
// - `res.json()` of an API call is the 200 answer's type, plus the error body's fields as
//   optional, so every field the kiosk reads must exist in the description;
// - a call that matches none of these overloads falls through to the DOM's `fetch`, whose
//   `json()` is `unknown` here: reading a field of it is an error too.
import type { components, paths } from "./api";

type Method = "get" | "post";
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type JsonContent<C> = C extends { content: { "application/json": infer T } } ? T : never;
type RequestOf<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: infer R } ? JsonContent<NonNullable<R>> : never;
type AnswerOf<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { responses: { 200: infer R } } ? JsonContent<R> : never;

/** Paths answering a GET; paths taking a JSON body by POST. */
type GetPath = { [P in keyof paths]: paths[P] extends { get: object } ? P : never }[keyof paths];
type JsonPostPath = {
  [P in keyof paths]: paths[P] extends { post: object }
    ? [RequestOf<P, "post">] extends [never]
      ? never
      : P
    : never;
}[keyof paths];

type IsAny<T> = 0 extends 1 & T ? true : false;
/** `T` with every field that `Shape` lacks turned into `never`, at any depth. */
type Exactly<Shape, T> =
  IsAny<T> extends true
    ? T
    : T extends readonly (infer E)[]
      ? NonNullable<Shape> extends readonly (infer S)[]
        ? readonly Exactly<S, E>[]
        : T
      : T extends object
        ? { [K in keyof T]: K extends keyof NonNullable<Shape> ? Exactly<NonNullable<Shape>[K], T[K]> : never }
        : T;

declare const jsonOf: unique symbol;
/** JSON text that remembers what it was made of. */
type Json<T> = string & { readonly [jsonOf]: T };

type ErrorBody = components["schemas"]["ErrorBody"];
interface ApiAnswer<T> extends Response {
  json(): Promise<T & Partial<ErrorBody>>;
}

type PostInit<B> = Omit<RequestInit, "method" | "body"> & { method: "POST"; body: Json<B> };
type GetInit = Omit<RequestInit, "method" | "body"> & { method?: "GET" };

declare global {
  interface JSON {
    stringify<T>(value: T, replacer?: null, space?: string | number): Json<T>;
  }
  interface Body {
    json(): Promise<unknown>;
  }
  function fetch<P extends JsonPostPath, B extends RequestOf<P, "post">>(
    input: P,
    init: PostInit<B & Exactly<RequestOf<P, "post">, B>>,
  ): Promise<ApiAnswer<AnswerOf<P, "post">>>;
  function fetch<P extends GetPath>(input: P, init?: GetInit): Promise<ApiAnswer<AnswerOf<P, "get">>>;

  // The kiosk is plain JavaScript written against the DOM loosely (elements by id, event
  // targets); what is checked here is its API calls, not its DOM use.
  interface Document {
    getElementById(elementId: string): any;
  }
  interface EventTarget {
    value?: any;
    closest?: any;
  }
  interface Window {
    kiosk?: any;
  }
}
