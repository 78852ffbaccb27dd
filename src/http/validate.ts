import { plainToInstance } from 'class-transformer';
import { validate, ValidationError as ClassValidatorError } from 'class-validator';
import { ValidationError } from '../errors';

export interface FieldError {
  field: string;
  errors: string[];
}

function flatten(errors: ClassValidatorError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, errors: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * Turns request fields into a validated DTO instance, or throws a 400 `VALIDATION_ERROR`
 * listing each field's problems. Fields the DTO does not declare are dropped (whitelist),
 * which is also what keeps callers from mass-assigning protected columns.
 */
export async function validateBody<T extends object>(dto: new () => T, fields: Record<string, unknown>): Promise<T> {
  let instance: T;
  let errors: ClassValidatorError[];
  try {
    instance = plainToInstance(dto, fields, { excludeExtraneousValues: false });
    errors = await validate(instance, { whitelist: true, forbidUnknownValues: true, validationError: { target: false, value: false } });
  } catch {
    // A validator that throws on odd input is still a bad request, never a 500.
    throw new ValidationError('The request body is invalid.');
  }
  if (errors.length > 0) {
    throw new ValidationError('The request body is invalid.', flatten(errors));
  }
  return instance;
}
