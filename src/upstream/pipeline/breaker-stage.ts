import type { CircuitBreaker } from '../resilience/circuit-breaker.ts';
import type { Stage } from './stage.ts';

/** Fails at once while the circuit is open; tells the breaker how each call it let through ended. */
export function breakerStage(breaker: CircuitBreaker, onRefused: () => void = () => {}): Stage {
  return (next) => async (req) => {
    let ticket;
    try {
      ticket = breaker.admit();
    } catch (error) {
      onRefused();
      throw error;
    }
    try {
      const response = await next(req);
      ticket.settle();
      return response;
    } catch (error) {
      ticket.settle(error);
      throw error;
    }
  };
}
