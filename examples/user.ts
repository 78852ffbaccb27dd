import { Entity } from 'typeorm';
import { BaseUser } from '../src';

/** The example's users: the library's columns, nothing else (add your own columns here). */
@Entity('user')
export class User extends BaseUser {}
