// The API docs page: starts Swagger UI (loaded from our own /ui/vendor, never a CDN) on the OpenAPI
// document. "Try it out" rides on the console session, so it sends the CSRF header too.

interface SwaggerRequest {
  headers: Record<string, string>;
}

declare global {
  interface Window {
    SwaggerUIBundle?: (options: {
      url: string;
      dom_id: string;
      deepLinking: boolean;
      tryItOutEnabled: boolean;
      requestInterceptor: (request: SwaggerRequest) => SwaggerRequest;
    }) => unknown;
  }
}

window.SwaggerUIBundle?.({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  tryItOutEnabled: false,
  requestInterceptor: (request) => {
    request.headers["X-Switchyard-CSRF"] = "1";
    return request;
  },
});
export {};
