import { Link, isRouteErrorResponse, useRouteError } from "react-router";

/** Unknown routes and errors thrown while rendering a page. */
export function RouteError() {
  const error = useRouteError();
  const notFound = error === undefined || (isRouteErrorResponse(error) && error.status === 404);
  return (
    <div role="alert" className="mx-auto max-w-xl space-y-3 p-6">
      <h1 className="text-xl font-semibold">{notFound ? "Page not found" : "Something went wrong"}</h1>
      {!notFound ? (
        <p className="text-sm break-words text-slate-400">{error instanceof Error ? error.message : String(error)}</p>
      ) : null}
      <Link to="/">Back to the marketplace</Link>
    </div>
  );
}
