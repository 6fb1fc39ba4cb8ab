import type { FastifyRequest } from 'fastify';

const DIGITS = /^[0-9]{1,16}$/;

/**
 * A preValidation hook that turns the named query parameters, when they are plain digits, into
 * numbers, so the route's schema can declare them as integers with their ranges (the app's
 * validator never coerces types: a JSON body's "5" stays a string). Anything else is left as it is
 * and fails the schema with a 400 naming the parameter.
 */
export function numericQuery(names: readonly string[]) {
  return async (request: FastifyRequest): Promise<void> => {
    const query = request.query as Record<string, unknown>;
    for (const name of names) {
      const value = query[name];
      if (typeof value === 'string' && DIGITS.test(value)) query[name] = Number(value);
    }
  };
}
